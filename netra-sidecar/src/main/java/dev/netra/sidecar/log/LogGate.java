package dev.netra.sidecar.log;

import dev.netra.sidecar.config.LogLevel;
import org.tinylog.Level;
import org.tinylog.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The level the sidecar's log lines are written at, which the profiling port's {@code /log-level}
 * changes while netra runs. tinylog fixes its own level when first used, so it is configured at
 * debug and every line passes this gate ({@link GatedLoggingProvider}): one volatile read.
 * Code that would format something only for a debug line asks {@link #debug()} first.
 */
public final class LogGate {
    private static volatile LogLevel level = LogLevel.INFO;
    /** Bumped by every change, so that a pending revert of an older change does nothing. */
    private static final AtomicLong changes = new AtomicLong();

    private LogGate() {
    }

    public static LogLevel level() {
        return level;
    }

    /** True when debug lines are written now. */
    public static boolean debug() {
        return level == LogLevel.DEBUG;
    }

    static boolean allows(Level l) {
        return l.ordinal() >= level.tinylog().ordinal();
    }

    /** From now on, lines at {@code l} and above are written. */
    public static void set(LogLevel l) {
        changes.incrementAndGet();
        level = l;
    }

    /**
     * Lines at {@code l} and above for {@code period}, then back to the level before, unless the
     * level was changed again meanwhile. Returns the thread that reverts (or finds it need not)
     * and then ends.
     */
    public static Thread set(LogLevel l, Duration period) {
        LogLevel before = level;
        long change = changes.incrementAndGet();
        level = l;
        return Thread.ofVirtual().name("netra-log-level-revert").start(() -> {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            if (changes.compareAndSet(change, change + 1)) {
                level = before;
                Logger.info("log level back to {} after {} s", before.label(), period.toSeconds());
            }
        });
    }
}
