package dev.netra.bench.jmh;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import dev.netra.sidecar.trace.Tracing;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One keep-alive exchange through the framers with tracing as users run it (100% sampling, both
 * attribute sets, W3C + Jaeger + baggage propagation): the span's start, context injection,
 * attributes and hand-off to the export queue. The exporter discards, so this is the copy loop's
 * share of tracing, not the export thread's. Run with {@code -prof gc} for bytes per exchange
 * (docs/performance-log.md: 3.1 KB with the SDK's spans, 2.0 KB with netra's).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx256m"})
public class TracedExchangeBenchmark {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private Tracing tracing;
    private Forwarder requests;
    private Forwarder responses;
    private ByteBuffer request;
    private ByteBuffer response;

    @Setup(Level.Trial)
    public void setUp() {
        // The default queue (2048): at this rate most spans find it full and are dropped and
        // counted, as under overload; a larger queue only measured the GC of the spans it held.
        SidecarConfig config = SidecarConfig.from(Map.of(), List.of("--service-name", "bench"));
        // an empty composite is the SDK's no-op exporter: every batch dropped, as fast as a collector could take it
        tracing = new Tracing(config, SpanCounters.register(new PrometheusRegistry()), timer, SpanExporter.composite(List.of()));
        HttpSettings settings = new HttpSettings(64 * 1024, new RequestIdEdits("X-Request-Id", "X-Source", "netra").andThen(tracing.edits()),
                tracing.listener(), (d, r) -> { });
        // Outbound, as the bench's one-hop sidecar: an inbound one also remembers every span context
        // by request id for NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS, which here would
        // measure that store's churn (up to 100k live entries) rather than the span.
        HttpSession session = new HttpSession(1, Direction.OUTBOUND, new InetSocketAddress("10.0.0.1", 40000),
                new InetSocketAddress("10.0.0.2", 8080), settings, true);
        session.decide(dev.netra.sidecar.detect.Protocol.HTTP1); // what the detect stage does
        WritableByteChannel sink = new NullChannel();
        requests = session.requests(sink);
        responses = session.responses(sink);
        byte[] req = ("GET /api/v1/orders/12345 HTTP/1.1\r\nHost: orders:8080\r\nUser-Agent: bench/1\r\n"
                + "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] res = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);
        request = ByteBuffer.allocateDirect(req.length).put(req).flip();
        response = ByteBuffer.allocateDirect(res.length).put(res).flip();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tracing.close();
        timer.shutdownNow();
    }

    /** One traced exchange: request head (span start, injection), response, span end and queueing. */
    @Benchmark
    public void tracedExchange() throws IOException {
        requests.forward(request.rewind());
        responses.forward(response.rewind());
    }
}
