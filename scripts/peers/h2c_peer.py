#!/usr/bin/python3
"""An HTTP/2 server reached by the HTTP/1.1 upgrade (Upgrade: h2c, RFC 7540 section 3.2), for
netra's tests (Debian's python3-h2): the peer that nghttpd and nginx are not, since neither
accepts the upgrade.

usage: h2c_peer.py PORT
Answers every request, the upgrading one on stream 1 included, with 200 and "h2c PATH\n"; a
request without the upgrade gets 400. Prints "listening" once bound.
"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events

MAX_HEAD = 64 * 1024


def respond(conn, stream_id, path):
    body = ("h2c %s\n" % path).encode()
    conn.send_headers(stream_id, [(":status", "200"), ("content-type", "text/plain"),
                                  ("content-length", str(len(body)))])
    conn.send_data(stream_id, body, end_stream=True)


def serve(sock):
    with sock:
        sock.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk or len(data) > MAX_HEAD:
                return
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("upgrade", "").lower() != "h2c" or "http2-settings" not in headers:
            body = b"expected Upgrade: h2c\n"
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
                         % (len(body), body))
            return
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_upgrade_connection(headers["http2-settings"])
        respond(conn, 1, path)  # the upgrading request is stream 1
        sock.sendall(conn.data_to_send())
        while True:
            if rest:
                for event in conn.receive_data(rest):
                    if isinstance(event, h2.events.RequestReceived):
                        respond(conn, event.stream_id, dict(event.headers)[":path"])
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        sock.sendall(conn.data_to_send())
                        return
                out = conn.data_to_send()
                if out:
                    sock.sendall(out)
            rest = sock.recv(65536)
            if not rest:
                return


def main():
    listener = socket.create_server(("0.0.0.0", int(sys.argv[1])))
    print("listening", flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
