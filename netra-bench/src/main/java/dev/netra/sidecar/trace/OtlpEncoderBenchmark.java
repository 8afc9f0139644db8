package dev.netra.sidecar.trace;

import dev.netra.bench.jmh.NullChannel;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
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
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The export thread's encoding of one batch of 512 spans as OTLP protobuf: the spans are made
 * by the copy loop's own path (exchanges through the framers with tracing as users run it), so
 * their names and attributes are the real ones. Lives in the tracing package to reach the
 * encoder. Time per batch; divide by 512 for a span.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx256m"})
public class OtlpEncoderBenchmark {
    private static final int BATCH = 512;
    private final OtlpEncoder encoder = new OtlpEncoder();
    private List<SpanData> batch;

    @Setup(Level.Trial)
    public void setUp() {
        List<SpanData> spans = new ArrayList<>();
        SpanExporter capture = new SpanExporter() {
            @Override
            public synchronized CompletableResultCode export(Collection<SpanData> s) {
                spans.addAll(s);
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        SidecarConfig config = SidecarConfig.from(Map.of(), List.of("--service-name", "bench"));
        Tracing tracing = new Tracing(config, SpanCounters.register(new PrometheusRegistry()), timer, capture);
        HttpSettings settings = new HttpSettings(64 * 1024, new RequestIdEdits("X-Request-Id", "X-Source", "netra").andThen(tracing.edits()),
                tracing.listener(), (d, r) -> { });
        HttpSession session = new HttpSession(1, Direction.OUTBOUND, new InetSocketAddress("10.0.0.1", 40000),
                new InetSocketAddress("10.0.0.2", 8080), settings, true);
        session.decide(dev.netra.sidecar.detect.Protocol.HTTP1);
        Forwarder requests = session.requests(new NullChannel());
        Forwarder responses = session.responses(new NullChannel());
        ByteBuffer response = ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
        try {
            for (int i = 0; i < BATCH; i++) {
                byte[] req = ("GET /api/v1/orders/" + (10000 + i) + " HTTP/1.1\r\nHost: orders:8080\r\nUser-Agent: bench/1\r\n"
                        + "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                requests.forward(ByteBuffer.wrap(req));
                responses.forward(response.rewind());
            }
            tracing.close(); // exports what is queued
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } finally {
            timer.shutdownNow();
        }
        if (spans.size() != BATCH) {
            throw new IllegalStateException("expected " + BATCH + " spans, captured " + spans.size());
        }
        batch = List.copyOf(spans);
    }

    /** One batch of 512 spans encoded; returns the encoded length so that nothing is elided. */
    @Benchmark
    public int encodeBatch() {
        encoder.encode(batch);
        return encoder.length();
    }
}
