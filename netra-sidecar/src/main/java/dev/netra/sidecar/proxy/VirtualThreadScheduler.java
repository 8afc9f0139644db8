package dev.netra.sidecar.proxy;

import org.tinylog.Logger;

import java.lang.reflect.Constructor;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.LongAdder;

/**
 * NETRA_SCHEDULER: where connections' virtual threads run. {@code jdk} is the JDK's own
 * scheduler. {@code poller} (an experiment, docs/performance-log.md "virtual threads run by the
 * poller") hands a virtual thread that the JDK's read poller unparks to that poller's thread
 * itself, so a read that became ready resumes its copy loop without a hand-off through a
 * carrier pool (a futex wake and a context switch per read); virtual threads unparked elsewhere
 * (timers, writes, joins) run on a small ForkJoinPool. The copy loops stay as they are: blocking
 * reads and writes on a virtual thread per direction.
 *
 * <p>The JDK has no public API for this in 25: it needs platform-thread pollers
 * ({@code -Djdk.pollerMode=1}) and {@code --add-opens java.base/java.lang=ALL-UNNAMED} for the
 * package-private {@code ThreadBuilders.VirtualThreadBuilder(Executor)}; bin/netra adds both for
 * {@code poller}. Without them the JDK's scheduler is used and a line says why.
 */
final class VirtualThreadScheduler {
    private static final String POLLER_THREAD_NAME = "Read-Poller";

    private final Thread.Builder.OfVirtual builder;
    private final boolean poller;
    /** Virtual threads resumed on a poller's thread. */
    private final LongAdder onPoller;

    private VirtualThreadScheduler(Thread.Builder.OfVirtual builder, boolean poller, LongAdder onPoller) {
        this.builder = builder;
        this.poller = poller;
        this.onPoller = onPoller;
    }

    /** The JDK's scheduler. */
    static VirtualThreadScheduler jdk() {
        return new VirtualThreadScheduler(Thread.ofVirtual(), false, new LongAdder());
    }

    /** {@code mode} from NETRA_SCHEDULER: {@code jdk} or {@code poller}. */
    static VirtualThreadScheduler of(String mode) {
        if (!mode.equals("poller")) {
            return jdk();
        }
        if (!"1".equals(System.getProperty("jdk.pollerMode"))) {
            Logger.warn("NETRA_SCHEDULER=poller needs -Djdk.pollerMode=1 (bin/netra sets it): the JDK's scheduler is used");
            return jdk();
        }
        try {
            Class<?> c = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            Constructor<?> make = c.getDeclaredConstructor(Executor.class);
            make.setAccessible(true);
            int cores = Runtime.getRuntime().availableProcessors();
            ForkJoinPool others = new ForkJoinPool(cores, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
            LongAdder onPoller = new LongAdder();
            Executor scheduler = task -> {
                Thread current = Thread.currentThread();
                if (!current.isVirtual() && current.getName().equals(POLLER_THREAD_NAME)) {
                    onPoller.increment();
                    task.run(); // the read that woke it is ready: go on here, no hand-off
                } else {
                    others.execute(task);
                }
            };
            return new VirtualThreadScheduler((Thread.Builder.OfVirtual) make.newInstance(scheduler), true, onPoller);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Logger.warn("NETRA_SCHEDULER=poller: the JDK's virtual-thread builder with a scheduler is not reachable ({});"
                    + " the JDK's scheduler is used", e.toString());
            return jdk();
        }
    }

    /**
     * A virtual thread named {@code name}, not started. The builder is shared and never changed (a
     * name set on it would be), so connections start without a lock: the thread is named itself.
     */
    Thread unstarted(String name, Runnable task) {
        Thread t = builder.unstarted(task);
        t.setName(name);
        return t;
    }

    Thread start(String name, Runnable task) {
        Thread t = unstarted(name, task);
        t.start();
        return t;
    }

    boolean poller() {
        return poller;
    }

    /** How many times a virtual thread was resumed on a poller's thread so far. */
    long resumedOnPoller() {
        return onPoller.sum();
    }
}
