package dev.netra.sidecar;

import org.tinylog.Logger;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Gives memory back once a busy sidecar falls idle: a load peak grows the Serial GC heap, and
 * without another collection nothing shrinks it again, so an idle pod would keep its peak RSS.
 */
final class IdleTrim {
    /**
     * Serial GC shrinks the old generation by a growing fraction on consecutive full collections
     * (none on the first), so one trim runs a few.
     */
    private static final int COLLECTIONS = 3;

    private final LongSupplier activity;
    private final Runnable release;
    private long last;
    private boolean busy;
    private int trims;

    private IdleTrim(LongSupplier activity, Runnable release) {
        this.activity = activity;
        this.release = release;
        this.last = activity.getAsLong();
    }

    /**
     * Checks every {@code period}; after the first period without activity that follows a busy
     * one, runs {@code release} (caches to let go of) and collects.
     */
    static IdleTrim schedule(ScheduledExecutorService timer, LongSupplier activity, Runnable release, Duration period) {
        IdleTrim t = new IdleTrim(activity, release);
        timer.scheduleWithFixedDelay(t::check, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        return t;
    }

    /** One tick: package-private for the test. */
    void check() {
        long now = activity.getAsLong();
        if (now != last) {
            last = now;
            busy = true;
            return;
        }
        if (busy) {
            busy = false;
            trims++;
            long t0 = System.nanoTime();
            release.run();
            for (int i = 0; i < COLLECTIONS; i++) {
                System.gc();
            }
            Logger.debug("idle after load: heap trimmed in {} ms", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    int trims() {
        return trims;
    }
}
