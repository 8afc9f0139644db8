#!/usr/bin/python3
"""gRPC peers for netra's tests (grpcio, Debian's python3-grpcio): no generated code, bytes in and out.

usage: grpc_peer.py serve PORT
       grpc_peer.py calls HOST PORT REQUEST_ID
The server echoes what it received, metadata included; the client makes each kind of call once,
checks what came back, and prints one line per call: "ok NAME" or "FAIL NAME: why". Exit 1 when a
call failed.
"""
import json
import sys
import time
from concurrent import futures

import grpc

SERVICE = "netra.test.Echo"
OPTIONS = [("grpc.max_metadata_size", 256 * 1024), ("grpc.max_receive_message_length", 16 * 1024 * 1024)]
# Fields netra adds on purpose: the trace context (each propagator's), the request id and X-Source.
ADDED = {"traceparent", "tracestate", "uber-trace-id", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled",
         "x-b3-parentspanid", "x-request-id", "x-source", "baggage"}


def metadata(request, context):
    return json.dumps([[k, v] for k, v in context.invocation_metadata()]).encode()


def not_found(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")


def server_stream(request, context):
    for i in range(int(request)):
        yield bytes([i % 256]) * 1000


def client_stream(requests, context):
    return str(sum(len(r) for r in requests)).encode()


def bidi(requests, context):
    for r in requests:
        yield r[::-1]


def endless(request, context):
    for _ in range(600):
        if not context.is_active():
            return
        yield b"y" * 100
        time.sleep(0.05)


def serve(port):
    handlers = {
        "Metadata": grpc.unary_unary_rpc_method_handler(metadata),
        "NotFound": grpc.unary_unary_rpc_method_handler(not_found),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Endless": grpc.unary_stream_rpc_method_handler(endless),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port("[::]:%d" % port)
    server.start()
    print("listening on %d" % port, flush=True)
    server.wait_for_termination()


def calls(host, port, request_id):
    failed = 0

    def check(name, ok, why=""):
        nonlocal failed
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
        failed += 0 if ok else 1

    with grpc.insecure_channel("%s:%d" % (host, port), options=OPTIONS) as channel:
        def method(kind, name):
            return getattr(channel, kind)("/%s/%s" % (SERVICE, name))

        sent = [("x-request-id", request_id), ("x-app", "v1"), ("x-app", "v2"), ("x-big", "b" * 20000),
                ("x-source", "the-app")]
        got = json.loads(method("unary_unary", "Metadata")(b"", metadata=sent, timeout=10))
        app = [[k, v] for k, v in got if k not in ADDED or k == "x-request-id"]
        expected = [[k, v] for k, v in sent if k not in ADDED or k == "x-request-id"]
        expected += [["user-agent", v] for k, v in got if k == "user-agent"]
        check("unary: every field the app sent arrives as sent (a 20 KB one in CONTINUATION frames)",
              sorted(app) == sorted(expected), "sent %s, got %s" % (expected, app))
        trace = [v for k, v in got if k == "traceparent"]
        check("unary: one traceparent, added by the sidecars", len(trace) == 1, "got %s" % trace)
        check("unary: the request id as the app sent it",
              [v for k, v in got if k == "x-request-id"] == [request_id], str(got))
        try:
            method("unary_unary", "NotFound")(b"", metadata=[("x-request-id", request_id + "-nf")], timeout=10)
            check("unary: NOT_FOUND comes back", False, "it succeeded")
        except grpc.RpcError as e:
            check("unary: NOT_FOUND comes back", e.code() == grpc.StatusCode.NOT_FOUND and e.details() == "no such thing",
                  "%s %s" % (e.code(), e.details()))
        replies = list(method("unary_stream", "ServerStream")(b"5", timeout=10))
        check("server streaming: 5 messages", [len(r) for r in replies] == [1000] * 5, str([len(r) for r in replies]))
        total = method("stream_unary", "ClientStream")(iter([b"a" * 10, b"b" * 20000, b"c" * 3]), timeout=10)
        check("client streaming: 3 messages summed", total == b"20013", str(total))
        replies = list(method("stream_stream", "Bidi")(iter([b"abc", b"de", b"f" * 70000]), timeout=10))
        check("bidi streaming: each message back", replies == [b"cba", b"ed", b"f" * 70000], str([len(r) for r in replies]))
        call = method("unary_stream", "Endless")(b"", timeout=30)
        first = [next(call), next(call)]
        call.cancel()  # the client resets the stream mid-body
        check("a stream cancelled mid-body", call.code() == grpc.StatusCode.CANCELLED and len(first) == 2, str(call.code()))
    return failed


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "calls":
        sys.exit(1 if calls(sys.argv[2], int(sys.argv[3]), sys.argv[4]) else 0)
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
