package dev.netra.sidecar.trace;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exchanges that arrive while tracing is still coming up get their spans, or are counted. */
class TracingStartupTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SpanCounters counters = SpanCounters.register(new PrometheusRegistry());
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch building = new CountDownLatch(1);
    private Tracing tracing;

    @AfterEach
    void close() {
        release.countDown();
        if (tracing != null) {
            tracing.close();
        }
        timer.shutdownNow();
    }

    /** Tracing whose construction waits for {@link #release}, as a slow start would. */
    private TracingStartup slowStart(Duration maxWait, SpanExporter out) {
        return new TracingStartup(counters, maxWait).startInBackground(() -> {
            building.countDown();
            try {
                assertTrue(release.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            tracing = new Tracing(SidecarConfig.from(Map.of(), List.of("--service-name", "svc")), counters, timer, out);
            return tracing;
        }, () -> { });
    }

    /** One exchange on its own thread; completes with what the upstream received. */
    private CompletableFuture<String> exchange(TracingStartup startup, String path) {
        CompletableFuture<String> forwarded = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            HttpSettings settings = new HttpSettings(65536, startup.edits(),
                    startup.listener(), (d, r) -> { });
            HttpSession s = new HttpSession(1, Direction.INBOUND, new InetSocketAddress("10.1.1.1", 40000),
                    new InetSocketAddress("10.1.1.2", 8080), settings, false);
            s.decide(dev.netra.sidecar.detect.Protocol.HTTP1); // what the detect stage does
            ByteArrayOutputStream upstream = new ByteArrayOutputStream();
            try {
                s.requests(Channels.newChannel(upstream)).forward(ByteBuffer.wrap(
                        ("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
                s.responses(Channels.newChannel(new ByteArrayOutputStream())).forward(ByteBuffer.wrap(
                        "HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
                s.close(Exchange.End.UPSTREAM_GONE);
                forwarded.complete(upstream.toString(StandardCharsets.ISO_8859_1));
            } catch (Exception | Error e) {
                forwarded.completeExceptionally(e);
            }
        });
        return forwarded;
    }

    private List<SpanData> spans(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (exporter.getFinishedSpanItems().size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return exporter.getFinishedSpanItems();
    }

    @Test
    void aRequestBeforeTracingIsUpWaitsForItAndGetsItsSpan() throws Exception {
        TracingStartup startup = slowStart(Duration.ofSeconds(10), exporter);
        assertTrue(building.await(5, TimeUnit.SECONDS));
        CompletableFuture<String> first = exchange(startup, "/first");
        CompletableFuture<String> second = exchange(startup, "/second");
        assertFalse(startup.up(), "not ready while tracing is coming up");
        release.countDown();
        assertTrue(first.get(10, TimeUnit.SECONDS).contains("traceparent: 00-"), "the context was injected");
        assertTrue(second.get(10, TimeUnit.SECONDS).contains("traceparent: 00-"));
        assertTrue(startup.up());
        List<SpanData> spans = spans(2);
        assertEquals(List.of("/first", "/second"), spans.stream().map(SpanData::getName).sorted().toList());
        assertEquals(0, counters.droppedNotReady().get());
    }

    @Test
    void aRequestThatWaitedPastTheDeadlineGoesOnWithoutASpanAndIsCounted() throws Exception {
        TracingStartup startup = slowStart(Duration.ofMillis(50), exporter);
        assertTrue(building.await(5, TimeUnit.SECONDS));
        String forwarded = exchange(startup, "/late").get(10, TimeUnit.SECONDS);
        assertEquals("GET /late HTTP/1.1\r\nHost: a\r\n\r\n", forwarded, "forwarded unchanged, without a context");
        assertEquals(1, counters.droppedNotReady().get());
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!startup.up() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(exchange(startup, "/after").get(10, TimeUnit.SECONDS).contains("traceparent: 00-"));
        assertEquals(List.of("/after"), spans(1).stream().map(SpanData::getName).toList());
    }
}
