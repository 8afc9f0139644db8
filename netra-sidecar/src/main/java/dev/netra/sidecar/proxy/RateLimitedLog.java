package dev.netra.sidecar.proxy;

import org.tinylog.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WARN line at most once per interval, saying how many were left out since the last: a
 * condition that repeats (a connection limit, a failing accept) is counted in a metric, and the
 * log shows that it happens without one line per occurrence.
 */
final class RateLimitedLog {
    private final long intervalNanos;
    private final AtomicLong last;
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(Duration interval) {
        this.intervalNanos = interval.toNanos();
        this.last = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /** Logs {@code format} now, or counts it as left out when one was logged within the interval. */
    boolean warn(String format, Object... args) {
        long now = System.nanoTime();
        long prev = last.get();
        if (now - prev < intervalNanos || !last.compareAndSet(prev, now)) {
            suppressed.incrementAndGet();
            return false;
        }
        long left = suppressed.getAndSet(0);
        Logger.warn(left == 0 ? format : format + " (" + left + " more like this since the last such line)", args);
        return true;
    }
}
