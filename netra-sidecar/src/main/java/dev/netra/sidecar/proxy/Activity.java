package dev.netra.sidecar.proxy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What the timeouts of one connection watch, stamped by its copy loops with the coarse clock of
 * {@link Timeouts} (a plain read of a field, no system call per read) and read by the scanner.
 * Stamps are opaque writes: the scanner may see one a little late, never torn, and timeouts are
 * counted in seconds.
 */
final class Activity {
    private static final VarHandle LAST;
    private static final VarHandle HALF_CLOSED;
    private static final VarHandle HEAD_STARTED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LAST = l.findVarHandle(Activity.class, "last", long.class);
            HALF_CLOSED = l.findVarHandle(Activity.class, "halfClosed", long.class);
            HEAD_STARTED = l.findVarHandle(Activity.class, "headStarted", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through LAST
    private long last = Timeouts.now();
    @SuppressWarnings("unused") // through HALF_CLOSED
    private long halfClosed;
    @SuppressWarnings("unused") // through HEAD_STARTED
    private long headStarted;

    /** A byte moved. */
    void touch() {
        LAST.setOpaque(this, Timeouts.now());
    }

    /** One side ended: the other may linger only so long without a byte. */
    void halfClosed() {
        if ((long) HALF_CLOSED.getOpaque(this) == 0) {
            HALF_CLOSED.setOpaque(this, Timeouts.now());
        }
    }

    /** After a request read: whether a head is still incomplete, so its clock runs from its first read. */
    void requestHead(boolean midHead) {
        long started = (long) HEAD_STARTED.getOpaque(this);
        if (midHead && started == 0) {
            HEAD_STARTED.setOpaque(this, Timeouts.now());
        } else if (!midHead && started != 0) {
            HEAD_STARTED.setOpaque(this, 0L);
        }
    }

    long last() {
        return (long) LAST.getOpaque(this);
    }

    long halfClosedAt() {
        return (long) HALF_CLOSED.getOpaque(this);
    }

    long headStartedAt() {
        return (long) HEAD_STARTED.getOpaque(this);
    }
}
