package dev.netra.sidecar.trace;

import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import dev.netra.sidecar.http.HeaderEditor;
import dev.netra.sidecar.http.HeaderEdits;
import dev.netra.sidecar.http.HttpHead;
import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import org.tinylog.Logger;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Tracing while it comes up: the listener accepts before tracing's classes are loaded, so the
 * pod's first connections are not refused, and a request head that arrives before tracing is up
 * waits for it (at most {@code maxWait}) instead of going untraced. Only a request that waited
 * longer goes on without a span, counted ({@code netra_spans_dropped_total{reason="not_ready"}}).
 * Once up, each call is one read of a completed future.
 */
public final class TracingStartup {
    private final CompletableFuture<Tracing> up = new CompletableFuture<>();
    private final SpanCounters counters;
    private final long maxWaitNanos;
    private final HeaderEdits edits = this::start;
    private final ExchangeListener listener = this::end;

    public TracingStartup(SpanCounters counters, Duration maxWait) {
        this.counters = counters;
        this.maxWaitNanos = maxWait.toNanos();
    }

    /** Builds tracing with {@code factory} on a thread of its own; false from {@link #up()} until it is done. */
    public TracingStartup startInBackground(Supplier<Tracing> factory, Runnable then) {
        Thread.ofPlatform().name("netra-tracing-start").daemon().start(() -> {
            try {
                up.complete(factory.get());
            } catch (RuntimeException | Error e) {
                Logger.error(e, "tracing could not start: spans are off");
                up.complete(null);
            }
            then.run();
        });
        return this;
    }

    /** True once tracing is up (or failed to start, and spans are off): what /ready waits for. */
    public boolean up() {
        return up.isDone();
    }

    /** The header edit that starts spans (waiting for tracing during start-up). */
    public HeaderEdits edits() {
        return edits;
    }

    /** The listener that ends spans. */
    public ExchangeListener listener() {
        return listener;
    }

    private void start(HttpHead head, Exchange e, HeaderEditor editor) {
        Tracing t = up.getNow(null);
        if (t == null && !up.isDone()) {
            t = await();
        }
        if (t != null) {
            t.edits().edit(head, e, editor);
        }
    }

    private void end(Exchange e) {
        Tracing t = up.getNow(null);
        if (t != null) {
            t.listener().onExchange(e);
        }
    }

    private Tracing await() {
        try {
            return up.get(maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            counters.droppedNotReady().inc();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            counters.droppedNotReady().inc();
            return null;
        } catch (ExecutionException e) {
            return null; // never completed exceptionally: a failed start completes with null
        }
    }

    /** Tracing, if up: for shutdown. */
    public Tracing tracing() {
        return up.getNow(null);
    }
}
