package dev.netra.bench.jmh;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpHead;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP hot path: parsing a head, and a whole exchange (request and response heads and
 * bodies) through the framers of one long-lived connection. Run with {@code -prof gc}: the
 * allocation per message must not grow with the number of headers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx256m"})
public class HttpParsingBenchmark {

    @Param({"5", "20"})
    public int headers;

    private byte[] requestHead;
    private byte[] responseHead;
    private ByteBuffer request;
    private ByteBuffer response;
    private ByteBuffer copyBuffer;
    private final HttpHead head = new HttpHead();
    private Forwarder requests;
    private Forwarder responses;
    private Forwarder opaque;

    @Setup(Level.Trial)
    public void setUp() {
        StringBuilder req = new StringBuilder("GET /api/v1/orders/12345?expand=items HTTP/1.1\r\nHost: orders.shop.svc.cluster.local\r\n"
                + "X-Request-Id: 6c3a6c5e-2f6e-4f7c-9a9e-0b7d0b7d0b7d\r\n");
        StringBuilder res = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Length: 64\r\n");
        for (int i = 0; i < headers - 2; i++) {
            req.append("X-Custom-Header-").append(i).append(": value-").append(i).append("-abcdefghijklmnop\r\n");
            res.append("X-Response-Header-").append(i).append(": value-").append(i).append("\r\n");
        }
        requestHead = ascii(req.append("\r\n").toString());
        responseHead = ascii(res.append("\r\n").toString());
        byte[] body = new byte[64];
        request = ByteBuffer.allocateDirect(requestHead.length).put(requestHead).flip();
        response = ByteBuffer.allocateDirect(responseHead.length + body.length).put(responseHead).put(body).flip();
        copyBuffer = ByteBuffer.allocateDirect(16 * 1024);

        HttpSettings settings = new HttpSettings(64 * 1024, new RequestIdEdits("X-Request-Id", "X-Source", "netra"),
                e -> { }, (d, r) -> { });
        HttpSession session = new HttpSession(1, Direction.OUTBOUND, new InetSocketAddress("10.0.0.1", 1),
                new InetSocketAddress("10.0.0.2", 80), settings, true);
        session.decide(dev.netra.sidecar.detect.Protocol.HTTP1); // what the detect stage does
        WritableByteChannel sink = new NullChannel();
        requests = session.requests(sink);
        responses = session.responses(sink);
        opaque = Forwarder.opaque(sink);
    }

    /** Parsing one request head that is already complete. */
    @Benchmark
    public int parseRequestHead() {
        head.parse(requestHead, requestHead.length, true);
        return head.headerCount();
    }

    /** Parsing one response head that is already complete. */
    @Benchmark
    public int parseResponseHead() {
        head.parse(responseHead, responseHead.length, false);
        return head.headerCount();
    }

    /** One keep-alive exchange through both framers: detection once, then heads, edits, framing, the record. */
    @Benchmark
    public void exchangeThroughFramers(Blackhole bh) throws IOException {
        requests.forward(request.rewind());
        responses.forward(response.rewind());
        bh.consume(request);
    }

    /** The opaque copy loop's per-read work on a full 16 KiB buffer. */
    @Benchmark
    public void opaqueForward() throws IOException {
        opaque.forward(copyBuffer.clear());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
