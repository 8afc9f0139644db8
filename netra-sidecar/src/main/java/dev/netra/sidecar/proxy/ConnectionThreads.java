package dev.netra.sidecar.proxy;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Picks the thread each connection's directions run on: a platform thread while at most
 * NETRA_PLATFORM_THREAD_CONNECTIONS connections are open, a virtual thread otherwise.
 *
 * <p>A virtual thread's blocking read parks and is woken through the JDK's poller and a carrier
 * thread; a platform thread blocked in read(2) is woken by the kernel directly, for less CPU
 * per request while connections are few (docs/performance-log.md). With many connections,
 * platform threads would each compete with the carriers for the cores, so a direction on a
 * platform thread moves to a virtual thread once more connections are open ({@link #crowded}),
 * at the top of {@link Pump}'s loop. Platform threads come from a pool (creating one per
 * connection costs start-up time when connections are short) that keeps none while the sidecar
 * is idle.
 */
final class ConnectionThreads implements AutoCloseable {
    /** How long an unused platform thread is kept for the next connection. */
    private static final long KEEP_ALIVE_SECONDS = 10;
    private static final int STACK_BYTES = 256 * 1024;
    private static final Thread.Builder.OfVirtual VIRTUAL = Thread.ofVirtual();

    private final int platformConnections;
    private final IntSupplier openConnections;
    private final Runnable moved;
    /** Null when no connection runs on platform threads. */
    private final ThreadPoolExecutor platform;

    /**
     * @param platformConnections connections that may run on platform threads (two threads each)
     * @param openConnections     how many connections are open now, the one starting included
     * @param moved               told of each direction that {@link #continueOnVirtualThread moves}
     */
    ConnectionThreads(int platformConnections, IntSupplier openConnections, Runnable moved) {
        this.platformConnections = platformConnections;
        this.openConnections = openConnections;
        this.moved = moved;
        if (platformConnections == 0) {
            platform = null;
        } else {
            // No queue: a task goes to an idle pooled thread or a new one, and when all 2 x N are
            // busy (directions that moved to virtual threads still hold theirs), it is refused and
            // runs on a virtual thread.
            platform = new ThreadPoolExecutor(0, 2 * platformConnections, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                    new SynchronousQueue<>(),
                    Thread.ofPlatform().name("netra-conn-platform-", 0).stackSize(STACK_BYTES).daemon().factory(),
                    new ThreadPoolExecutor.AbortPolicy());
        }
    }

    /** Starts {@code connection}: on a platform thread while the sidecar is not {@link #crowded}. */
    void start(Connection connection) {
        if (platform == null || crowded() || !offered(connection)) {
            startVirtual("netra-conn-" + connection.id(), connection);
        }
    }

    /**
     * Starts a connection's second direction on the same kind of thread as the caller (its first):
     * the returned task is done when {@code direction} returned or threw.
     */
    FutureTask<Void> startSecond(long connectionId, Runnable direction) {
        FutureTask<Void> task = new FutureTask<>(direction, null);
        if (platform == null || Thread.currentThread().isVirtual() || !offered(task)) {
            startVirtual("netra-conn-" + connectionId + "-rev", task);
        }
        return task;
    }

    /**
     * Waits for a direction {@link #startSecond} started; an Error it threw is thrown here
     * (directions catch the rest themselves).
     */
    static void awaitSecond(FutureTask<Void> second) throws InterruptedException {
        try {
            second.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Whether a pooled platform thread took {@code task}: false when all are busy. */
    private boolean offered(Runnable task) {
        try {
            platform.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Runs the rest of a direction that was on a platform thread on a virtual thread, between two
     * reads, and waits for it: the platform thread stays with its connection but no longer takes
     * a core from the carriers. Called once the sidecar is {@link #crowded}, or before a
     * splice (which waits on the JDK's poller). When the wait is interrupted, {@code abort} ends
     * the connection (the rest then ends on its own) and the interrupt is kept.
     */
    void continueOnVirtualThread(long connectionId, Runnable rest, Runnable abort) {
        moved.run();
        try {
            startVirtual("netra-conn-" + connectionId, rest).join();
        } catch (InterruptedException e) {
            abort.run();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts {@code task} on a virtual thread named {@code name}. The shared builder is never
     * changed (a name set on it would be), so connections start without a lock: the thread is
     * named itself.
     */
    private static Thread startVirtual(String name, Runnable task) {
        Thread t = VIRTUAL.unstarted(task);
        t.setName(name);
        t.start();
        return t;
    }

    /** More connections are open than may run on platform threads: those on one move off it. */
    boolean crowded() {
        return openConnections.getAsInt() > platformConnections;
    }

    /** Platform threads alive now (busy or kept for the next connection). */
    int platformThreads() {
        return platform == null ? 0 : platform.getPoolSize();
    }

    /** Lets pooled threads end; directions still running go on. */
    @Override
    public void close() {
        if (platform != null) {
            platform.shutdown();
        }
    }
}
