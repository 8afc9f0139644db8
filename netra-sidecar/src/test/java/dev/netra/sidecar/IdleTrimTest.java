package dev.netra.sidecar;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IdleTrimTest {

    @Test
    void trimsOnceWhenActivityStopsAndNotWhileIdleOrBusy() {
        AtomicLong bytes = new AtomicLong();
        AtomicLong releases = new AtomicLong();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            IdleTrim t = IdleTrim.schedule(timer, bytes::get, releases::incrementAndGet, Duration.ofHours(1)); // ticks driven by hand
            t.check();
            t.check();
            assertEquals(0, t.trims(), "a sidecar that never forwarded anything has nothing to give back");
            bytes.addAndGet(100);
            t.check();
            bytes.addAndGet(100);
            t.check();
            assertEquals(0, t.trims(), "not while busy");
            t.check();
            assertEquals(1, t.trims(), "the first quiet tick after activity trims");
            t.check();
            t.check();
            assertEquals(1, t.trims(), "and only once per quiet spell");
            bytes.addAndGet(1);
            t.check();
            t.check();
            assertEquals(2, t.trims());
            assertEquals(2, releases.get(), "caches are let go at each trim");
        } finally {
            timer.shutdownNow();
        }
    }
}
