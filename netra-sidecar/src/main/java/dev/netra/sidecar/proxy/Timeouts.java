package dev.netra.sidecar.proxy;

import dev.netra.sidecar.config.TimeoutConfig;
import dev.netra.sidecar.metrics.ProxyMetrics.Timeout;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * The connections' clocks: one platform thread advances a coarse clock every
 * {@value #TICK_MILLIS} ms and, once a second, looks at every open connection's {@link Activity}:
 * one that waited longer than its timeout allows is closed with the timeout as its reason. No
 * timer per connection, no system call per read.
 */
final class Timeouts implements AutoCloseable {
    static final long TICK_MILLIS = 100;
    private static final long SCAN_MILLIS = 1000;
    private static final long ORIGIN = System.nanoTime();
    private static volatile long now = 1; // 0 means "not set" in Activity

    private final TimeoutConfig config;
    private final Collection<Connection> open;
    private final Thread thread;
    private volatile boolean stopped;

    Timeouts(TimeoutConfig config, Collection<Connection> open) {
        this.config = config;
        this.open = open;
        this.thread = Thread.ofPlatform().name("netra-timeouts").daemon().start(this::run);
    }

    /** The coarse clock, in milliseconds since start (at least 1). */
    static long now() {
        return now;
    }

    private static void advance() {
        now = Math.max(1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ORIGIN));
    }

    private void run() {
        long lastScan = 0;
        while (!stopped) {
            advance();
            if (now - lastScan >= SCAN_MILLIS) {
                lastScan = now;
                scan(now);
            }
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Closes every connection past one of its timeouts, as of {@code at}. */
    void scan(long at) {
        for (Connection c : open) {
            Timeout t = expired(c, at);
            if (t != null) {
                c.timedOut(t);
            }
        }
    }

    private Timeout expired(Connection c, long at) {
        Activity a = c.activity();
        long idleFor = at - a.last();
        if (over(idleFor, config.idle())) {
            return Timeout.IDLE;
        }
        long halfClosed = a.halfClosedAt();
        if (halfClosed != 0 && over(at - Math.max(halfClosed, a.last()), config.halfClosed())) {
            return Timeout.HALF_CLOSED;
        }
        long head = a.headStartedAt();
        if (head != 0 && over(at - head, config.requestHead())) {
            return Timeout.REQUEST_HEAD;
        }
        if (!config.responseHead().isZero()) {
            long since = c.unansweredSince();
            if (since != 0 && System.nanoTime() - since > config.responseHead().toNanos()) {
                return Timeout.RESPONSE_HEAD;
            }
        }
        return null;
    }

    private static boolean over(long millis, Duration limit) {
        return !limit.isZero() && millis > limit.toMillis();
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
