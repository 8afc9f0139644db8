package dev.netra.sidecar.trace;

import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpanExportQueueTest {
    private static final ExchangeSpan.Origin ORIGIN = new ExchangeSpan.Origin(Resource.empty(), InstrumentationScopeInfo.create("netra"));

    private static ExchangeSpan span(int i) {
        SpanContext c = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736", String.format("%016x", i + 1),
                TraceFlags.getSampled(), TraceState.getDefault());
        ExchangeSpan s = new ExchangeSpan("/" + i, SpanKind.SERVER, c, SpanContext.getInvalid(), 1, ORIGIN, 1);
        s.claimEnd();
        s.end(StatusData.unset(), 2);
        return s;
    }

    /** An exporter that holds its first export until released, counting what it was given. */
    private static final class HeldExporter implements SpanExporter {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger exported = new AtomicInteger();

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            entered.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exported.addAndGet(spans.size());
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
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfWaiting() throws Exception {
        SpanCounters counters = SpanCounters.register(new PrometheusRegistry());
        HeldExporter exporter = new HeldExporter();
        SpanExportQueue queue = new SpanExportQueue(exporter, 4, 1000, counters);
        queue.offer(span(0));
        assertTrue(exporter.entered.await(5, TimeUnit.SECONDS), "the first span went to the exporter");
        long start = System.nanoTime();
        for (int i = 1; i <= 10; i++) {
            queue.offer(span(i)); // 4 wait in the queue, 6 are dropped
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "offer never waits for the exporter");
        assertEquals(6, counters.droppedQueueFull().get());
        exporter.release.countDown();
        queue.shutdown().join(5, TimeUnit.SECONDS);
        assertEquals(5, exporter.exported.get());
        assertEquals(5, counters.exported().get());
    }

    @Test
    void spansEndedBeforeTheExporterIsMadeWaitInTheQueue() throws Exception {
        SpanCounters counters = SpanCounters.register(new PrometheusRegistry());
        CountDownLatch made = new CountDownLatch(1);
        HeldExporter exporter = new HeldExporter();
        exporter.release.countDown();
        SpanExportQueue queue = new SpanExportQueue(() -> {
            try {
                assertTrue(made.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return exporter;
        }, 16, 1000, counters);
        for (int i = 0; i < 3; i++) {
            queue.offer(span(i));
        }
        assertEquals(0, exporter.exported.get(), "nothing exported before the exporter exists");
        made.countDown();
        queue.shutdown().join(5, TimeUnit.SECONDS);
        assertEquals(3, exporter.exported.get(), "every span queued meanwhile was exported");
        assertEquals(3, counters.exported().get());
        assertEquals(0, counters.droppedQueueFull().get());
    }
}
