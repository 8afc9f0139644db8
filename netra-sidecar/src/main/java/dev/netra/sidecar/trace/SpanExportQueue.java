package dev.netra.sidecar.trace;

import dev.netra.sidecar.config.Secrets;
import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.tinylog.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Hands finished, sampled spans to the exporter through a bounded queue on one background
 * thread: a copy loop never waits for export. A full queue drops the span and counts it
 * ({@code netra_spans_dropped_total}); failures are counted and logged at most once a minute.
 * The exporter is made on that thread, so spans are queued from the start and wait for it.
 */
final class SpanExportQueue {
    private static final int BATCH = 512;
    /** How long a batch may wait to fill: one export per second at most, unless batches fill faster. */
    private static final long BATCH_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long FILL_CHECK_MILLIS = 10;
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ArrayBlockingQueue<SpanData> queue;
    private final Supplier<SpanExporter> exporterFactory;
    /** Null until the worker made it: only the worker exports, shutdown waits for the worker. */
    private volatile SpanExporter exporter;
    private final SpanCounters counters;
    private final long exportTimeoutMillis;
    private final Thread worker;
    private final AtomicLong lastFailureLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    private volatile boolean stopping;

    SpanExportQueue(SpanExporter exporter, int queueSize, long exportTimeoutMillis, SpanCounters counters) {
        this(() -> exporter, queueSize, exportTimeoutMillis, counters);
    }

    /** Queues spans from now on; {@code exporterFactory} is called once, on the export thread. */
    SpanExportQueue(Supplier<SpanExporter> exporterFactory, int queueSize, long exportTimeoutMillis, SpanCounters counters) {
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.exporterFactory = exporterFactory;
        this.counters = counters;
        this.exportTimeoutMillis = exportTimeoutMillis;
        this.worker = Thread.ofPlatform().name("netra-span-export").daemon().start(this::run);
    }

    /** Queues an ended span for export, or drops and counts it when the queue is full. */
    void offer(SpanData span) {
        if (!queue.offer(span)) {
            counters.droppedQueueFull().inc();
        }
    }

    /**
     * Waits for a first span, then lets the batch fill by looking at the queue every few
     * milliseconds instead of waiting on it: a waiting consumer would be woken (a futex call and
     * a context switch) by every single span a copy loop ends.
     */
    private void run() {
        try {
            exporter = exporterFactory.get();
        } catch (RuntimeException e) {
            Logger.error(e, "the span exporter could not be made: spans are counted as failed");
        }
        List<SpanData> batch = new ArrayList<>(BATCH);
        while (!stopping || !queue.isEmpty()) {
            try {
                SpanData first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + BATCH_DELAY_NANOS;
                while (queue.size() < BATCH - 1 && !stopping && System.nanoTime() < deadline) {
                    Thread.sleep(FILL_CHECK_MILLIS);
                }
                queue.drainTo(batch, BATCH - 1);
                export(batch);
                batch.clear();
            } catch (InterruptedException e) {
                stopping = true;
            }
        }
    }

    private void export(List<SpanData> batch) {
        CompletableResultCode result;
        try {
            SpanExporter e = exporter;
            result = e == null ? CompletableResultCode.ofFailure()
                    : e.export(batch).join(exportTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            result = CompletableResultCode.ofExceptionalFailure(e);
        }
        if (result.isSuccess()) {
            counters.exported().inc(batch.size());
            return;
        }
        counters.failed().inc(batch.size());
        long last = lastFailureLog.get();
        long now = System.nanoTime();
        if (now - last >= LOG_INTERVAL_NANOS && lastFailureLog.compareAndSet(last, now)) {
            Throwable why = result.getFailureThrowable();
            Logger.warn("exporting {} spans failed{}; failures are counted in netra_spans_failed_total and logged at most once a minute",
                    batch.size(), why == null ? (result.isDone() ? "" : " (timed out)")
                            : ": " + Secrets.withoutUserinfo(why.toString())); // the endpoint's user:password never
        }
    }

    /** Exports what is queued (for up to 5 s), then shuts the exporter down. */
    CompletableResultCode shutdown() {
        stopping = true;
        try {
            worker.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        SpanExporter e = exporter;
        return e == null ? CompletableResultCode.ofSuccess() : e.shutdown();
    }

    /** Waits (up to 5 s) until the queue is empty, then flushes the exporter. */
    CompletableResultCode forceFlush() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!queue.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        SpanExporter e = exporter;
        return e == null ? CompletableResultCode.ofSuccess() : e.flush();
    }
}
