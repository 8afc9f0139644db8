package dev.netra.sidecar.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionThreadsTest {
    private final AtomicInteger open = new AtomicInteger();
    private ConnectionThreads threads;

    @AfterEach
    void close() {
        if (threads != null) {
            threads.close();
        }
    }

    /** Starts a second direction from a thread {@code caller} makes: whether it ran on a virtual thread. */
    private boolean secondRanVirtual(Thread.Builder caller) throws Exception {
        CompletableFuture<Boolean> virtual = new CompletableFuture<>();
        CompletableFuture<FutureTask<Void>> started = new CompletableFuture<>();
        caller.start(() -> started.complete(
                threads.startSecond(1, () -> virtual.complete(Thread.currentThread().isVirtual())))).join();
        started.get().get(5, TimeUnit.SECONDS);
        return virtual.get(5, TimeUnit.SECONDS);
    }

    @Test
    void theSecondDirectionRunsOnTheSameKindOfThreadAsTheFirst() throws Exception {
        threads = new ConnectionThreads(2, open::get, () -> { });
        assertEquals(0, threads.platformThreads(), "an idle sidecar keeps no platform thread");
        assertTrue(secondRanVirtual(Thread.ofVirtual()));
        assertFalse(secondRanVirtual(Thread.ofPlatform()), "a platform thread's second direction gets one too");
        assertEquals(1, threads.platformThreads(), "kept for the next connection");
    }

    @Test
    void crowdedWhenMoreConnectionsAreOpenThanMayRunOnPlatformThreads() {
        threads = new ConnectionThreads(2, open::get, () -> { });
        open.set(2);
        assertFalse(threads.crowded());
        open.set(3);
        assertTrue(threads.crowded());
        threads.close();

        threads = new ConnectionThreads(0, open::get, () -> { });
        open.set(1);
        assertTrue(threads.crowded(), "0: every direction runs on a virtual thread");
    }

    @Test
    void whenEveryPlatformThreadIsBusyTheNextDirectionRunsOnAVirtualThread() throws Exception {
        threads = new ConnectionThreads(1, open::get, () -> { }); // two platform threads at most
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(2);
        Runnable hold = () -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        CompletableFuture<FutureTask<Void>> a = new CompletableFuture<>();
        CompletableFuture<FutureTask<Void>> b = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            a.complete(threads.startSecond(1, hold));
            b.complete(threads.startSecond(2, hold));
        }).join();
        assertTrue(busy.await(5, TimeUnit.SECONDS));
        assertTrue(secondRanVirtual(Thread.ofPlatform()), "no third platform thread");
        assertEquals(2, threads.platformThreads());
        release.countDown();
        a.get().get(5, TimeUnit.SECONDS);
        b.get().get(5, TimeUnit.SECONDS);
    }
}
