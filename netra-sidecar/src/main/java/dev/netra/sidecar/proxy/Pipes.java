package dev.netra.sidecar.proxy;

import dev.netra.ffm.SplicePipe;
import dev.netra.sidecar.metrics.ProxyMetrics;
import org.tinylog.Logger;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Kernel pipes for bulk directions that are raw bytes (plain TCP, or HTTP gone opaque): their
 * bytes move socket to socket by splice(2) instead of through a copy buffer, a bounded number of
 * directions at a time. Without a pipe (NETRA_SPLICE_ENABLED=false, all in use, refused by the
 * kernel or too small) a direction is copied as before.
 */
final class Pipes {
    /**
     * Eight times the kernel's default: more bytes per splice pair than 256 KB, and 1 MB did no
     * better (docs/performance-log.md, tuning step 9).
     */
    static final int PIPE_BYTES = 512 * 1024;
    /**
     * The smallest pipe worth splicing through. The kernel counts a pipe's capacity against a
     * per-uid budget (fs.pipe-user-pages-soft, 64 MB by default) that all sidecars of a node share;
     * past it pipes stay at 64 KB and then shrink to two pages. A smaller pipe moves fewer bytes per
     * second than copying with 256 KB buffers, at more CPU per byte (docs/performance-log.md,
     * tuning step 9).
     */
    static final int MIN_PIPE_BYTES = 256 * 1024;

    private final boolean enabled;
    private final int max;
    private final int pipeBytes;
    private final ProxyMetrics metrics;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean refusalLogged = new AtomicBoolean();
    private final AtomicBoolean smallPipeLogged = new AtomicBoolean();
    private final AtomicBoolean linkStarted = new AtomicBoolean();
    private volatile boolean unavailable;

    private final BooleanSupplier linked;
    private final Runnable linker;

    Pipes(boolean enabled, int max, ProxyMetrics metrics) {
        this(enabled, max, PIPE_BYTES, metrics, SplicePipe::linked, SplicePipe::link);
    }

    /** With the pipe size and the link step given (tests). */
    Pipes(boolean enabled, int max, int pipeBytes, ProxyMetrics metrics, BooleanSupplier linked, Runnable linker) {
        this.enabled = enabled;
        this.max = max;
        this.pipeBytes = pipeBytes;
        this.metrics = metrics;
        this.linked = linked;
        this.linker = linker;
    }

    /** Whether a bulk direction may be spliced at all (enabled, and splice works here). */
    boolean available() {
        return enabled && !unavailable;
    }

    /**
     * A pipe from {@code from} to {@code to}, or null when the direction is to be copied; each pipe
     * returned goes back through {@link #release}. A refusal is counted when {@code countRefusal}:
     * a copied direction asks again at each bulk streak, and is counted once.
     */
    SplicePipe open(long connectionId, SocketChannel from, SocketChannel to, boolean countRefusal) {
        if (!available()) {
            return null;
        }
        if (!linked.getAsBoolean()) {
            // Linking the downcalls stalled the first bulk flow ~60 ms, and doing it at start-up
            // costs every sidecar ~0.5 MB whether it ever carries one or not: the first bulk flow
            // is copied while a spare thread links, and bulk streaks from then on are spliced.
            if (linkStarted.compareAndSet(false, true)) {
                Thread.ofPlatform().name("netra-splice-link").daemon().start(this::link);
            }
            return null;
        }
        if (open.incrementAndGet() > max) {
            return refused(countRefusal);
        }
        try {
            SplicePipe pipe = SplicePipe.open(from, to, pipeBytes);
            if (pipe.capacity() >= MIN_PIPE_BYTES) {
                metrics.spliced();
                return pipe;
            }
            pipe.close();
            if (smallPipeLogged.compareAndSet(false, true)) {
                Logger.warn("conn={} bulk flow copied instead of spliced: the kernel gave a {} KB pipe (this uid's pipe budget,"
                        + " fs.pipe-user-pages-soft, is spent by the node's sidecars, or fs.pipe-max-size is lower);"
                        + " copying is faster than splicing through less than {} KB (logged once)",
                        connectionId, pipe.capacity() / 1024, MIN_PIPE_BYTES / 1024);
            }
        } catch (IOException e) {
            // e.g. out of file descriptors: copying still works
            if (refusalLogged.compareAndSet(false, true)) {
                Logger.warn("conn={} bulk flow copied instead of spliced: {} (logged once)", connectionId, e.getMessage());
            }
        } catch (RuntimeException e) {
            Logger.error(e, "conn={} cannot splice: bug", connectionId);
        }
        return refused(countRefusal);
    }

    /** Gives back the slot taken for a pipe that was not had; the direction is copied. */
    private SplicePipe refused(boolean countRefusal) {
        open.decrementAndGet();
        if (countRefusal) {
            metrics.spliceLimitHit();
        }
        return null;
    }

    private void link() {
        try {
            linker.run();
        } catch (RuntimeException | Error e) {
            unavailable = true;
            Logger.warn("splice is unavailable here ({}): bulk flows are copied", e.toString());
        }
    }

    void release(SplicePipe pipe) {
        if (pipe != null) {
            pipe.close();
            open.decrementAndGet();
        }
    }

    /** Pipes open now. */
    int inUse() {
        return open.get();
    }
}
