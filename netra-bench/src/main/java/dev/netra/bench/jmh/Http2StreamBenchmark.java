package dev.netra.bench.jmh;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.ProtocolDetector;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HeadArrays;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.http2.Http2Connection;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.hpack.HpackEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC unary call through the HTTP/2 framers of one long-lived connection: the request's
 * header block (decoded, a request id and X-Source appended) and its DATA, the response's header
 * block, DATA and trailers. The blocks are what an encoder sends once its table holds the fields
 * (indexed), as on a busy connection. Run with {@code -prof gc}: bytes allocated per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx256m"})
public class Http2StreamBenchmark {
    private Forwarder requests;
    private Forwarder responses;
    private ByteBuffer request;
    private ByteBuffer response;
    private int stream = 1;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        HeadArrays heads = new HeadArrays();
        HttpSettings settings = new HttpSettings(64 * 1024, new RequestIdEdits("X-Request-Id", "X-Source", "netra"),
                e -> { }, (d, r) -> { }, heads);
        HttpSession session = new HttpSession(1, Direction.OUTBOUND, new InetSocketAddress("10.0.0.1", 1),
                new InetSocketAddress("10.0.0.2", 50051), settings, true);
        session.decide(dev.netra.sidecar.detect.Protocol.HTTP2);
        Http2Connection h2 = new Http2Connection(session);
        requests = h2.requests(new NullChannel());
        responses = h2.responses(new NullChannel());
        HpackEncoder client = new HpackEncoder();
        HpackEncoder server = new HpackEncoder();
        MetaData.Request call = new MetaData.Request("POST", HttpURI.from("http://greeter.default.svc:50051/helloworld.Greeter/SayHello"),
                HttpVersion.HTTP_2, HttpFields.build().add("content-type", "application/grpc").add("te", "trailers")
                .add("user-agent", "grpc-java-netty/1.70.0").add("grpc-accept-encoding", "gzip").add("grpc-timeout", "999927u"));
        MetaData.Response head = new MetaData.Response(200, null, HttpVersion.HTTP_2,
                HttpFields.build().add("content-type", "application/grpc").add("grpc-encoding", "identity"));
        MetaData trailers = new MetaData(HttpVersion.HTTP_2, HttpFields.build().add("grpc-status", "0"));
        // the first call fills both tables; the calls measured are what a busy connection sends
        requests.forward(ByteBuffer.wrap(ProtocolDetector.HTTP2_PREFACE));
        requests.forward(call(client, call));
        responses.forward(reply(server, head, trailers));
        request = call(client, call);
        response = reply(server, head, trailers);
    }

    private ByteBuffer call(HpackEncoder encoder, MetaData.Request call) throws Exception {
        ByteBuffer out = ByteBuffer.allocate(4096);
        frame(out, 1, 0x4, encoder, call);
        dataFrame(out, 0x1, 20);
        return out.flip();
    }

    private ByteBuffer reply(HpackEncoder encoder, MetaData.Response head, MetaData trailers) throws Exception {
        ByteBuffer out = ByteBuffer.allocate(4096);
        frame(out, 1, 0x4, encoder, head);
        dataFrame(out, 0, 30);
        frame(out, 1, 0x5, encoder, trailers);
        return out.flip();
    }

    private void frame(ByteBuffer out, int type, int flags, HpackEncoder encoder, MetaData md) throws Exception {
        ByteBuffer block = ByteBuffer.allocate(2048);
        encoder.encode(block, md);
        block.flip();
        out.put((byte) 0).putShort((short) block.remaining()).put((byte) type).put((byte) flags).putInt(stream).put(block);
    }

    private void dataFrame(ByteBuffer out, int flags, int length) {
        out.put((byte) 0).putShort((short) length).put((byte) 0).put((byte) flags).putInt(stream).put(new byte[length]);
    }

    /** Sets the stream id of every frame in {@code b}: each call is a new stream. */
    private static void stream(ByteBuffer b, int id) {
        for (int p = 0; p < b.limit(); ) {
            int length = (b.get(p) & 0xff) << 16 | (b.get(p + 1) & 0xff) << 8 | b.get(p + 2) & 0xff;
            b.putInt(p + 5, id);
            p += 9 + length;
        }
    }

    /** One unary call: its request and its response, through the framers of a long-lived connection. */
    @Benchmark
    public void unaryCall() throws IOException {
        stream += 2;
        stream(request, stream);
        stream(response, stream);
        requests.forward(request.rewind());
        responses.forward(response.rewind());
    }
}
