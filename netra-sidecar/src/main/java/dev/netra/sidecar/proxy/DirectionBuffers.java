package dev.netra.sidecar.proxy;

import dev.netra.sidecar.metrics.ProxyMetrics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The buffers of one direction of a connection, sized by what flows through it:
 * <ul>
 * <li>it waits on its home buffer (a small one) while what it reads fits; a read that fills it
 * moves on to a normal buffer from the pool, topped up with what the socket already holds, so
 * that a message that arrived whole still leaves in one write;</li>
 * <li>a direction whose reads keep filling its buffer is a bulk flow: unless its bytes are raw
 * and go by splice ({@link Pipes}), it borrows a large one (fewer system calls and wake-ups per
 * byte) while the pool has one to give;</li>
 * <li>when a read drains the socket (it returned less than the buffer holds) or an HTTP message
 * ends, what it borrowed goes back and the next wait is on the home buffer again: an idle
 * connection holds two small buffers, whatever it carried before.</li>
 * </ul>
 * Used by one thread at a time; the home buffer belongs to the caller, which releases it.
 */
final class DirectionBuffers {
    /** Reads in a row that filled the buffer before a direction counts as a bulk flow. */
    private static final int FULL_READS_FOR_BULK = 4;

    private final BufferPool pool;
    private final ProxyMetrics metrics;
    private final ByteBuffer home;
    private final boolean smallHome;
    private ByteBuffer normal;
    private ByteBuffer large;
    private ByteBuffer current;
    private int fullReads;
    private boolean denied;

    DirectionBuffers(BufferPool pool, ProxyMetrics metrics, ByteBuffer home) {
        this.pool = pool;
        this.metrics = metrics;
        this.home = home;
        this.smallHome = home.capacity() < pool.bufferBytes();
        this.current = home;
    }

    /**
     * One blocking read from {@code from}: returns the bytes read (then in {@link #current()},
     * ready to forward) or -1 at the end of its stream.
     */
    int read(SocketChannel from) throws IOException {
        ByteBuffer b = current;
        int n = from.read(b.clear());
        if (n == b.capacity() && b == home && smallHome) {
            if (normal == null) {
                normal = pool.acquire();
            }
            n += topUp(from, b.flip(), normal.clear());
            b = normal;
            current = normal;
        }
        b.flip();
        return n;
    }

    /** The buffer the last read filled, flipped. */
    ByteBuffer current() {
        return current;
    }

    /**
     * After the {@code n} bytes read were forwarded, in a direction that is always copied: a bulk
     * flow trades up to a large buffer; a read that drained the socket, or the end of a message,
     * gives back what was borrowed.
     */
    void forwarded(int n, boolean betweenMessages) {
        if (becameBulk(n, betweenMessages)) {
            borrowLarge();
        }
    }

    /**
     * {@link #forwarded} for a direction that may be spliced: returns true, having borrowed
     * nothing, when this read made it a bulk flow (its reads keep filling the buffer); the caller
     * then splices it or calls {@link #borrowLarge}.
     */
    boolean becameBulk(int n, boolean betweenMessages) {
        if (n < current.capacity() || betweenMessages) {
            fullReads = 0;
            if (current != home) { // on the home buffer nothing is borrowed: most reads end here
                giveBack();
            }
            return false;
        }
        return large == null && ++fullReads == FULL_READS_FOR_BULK;
    }

    /** A bulk flow reads into a large buffer from now on, while the pool has one to give. */
    void borrowLarge() {
        large = pool.acquireLarge();
        if (large != null) {
            current = large;
        } else if (!denied) {
            denied = true; // asks again after its next streak, but counts once
            metrics.largeBufferLimitHit();
        }
    }

    /** Gives back what was borrowed: the next read is into the home buffer, and counts anew. */
    void giveBack() {
        fullReads = 0;
        pool.releaseLarge(large);
        pool.release(normal);
        large = null;
        normal = null;
        current = home;
    }

    /**
     * Copies the full small buffer into {@code into} and adds what the socket holds already (a
     * read that cannot block): returns the bytes added.
     */
    private static int topUp(SocketChannel from, ByteBuffer small, ByteBuffer into) throws IOException {
        into.put(small);
        if (from.socket().getInputStream().available() > 0) {
            int more = from.read(into);
            return Math.max(more, 0);
        }
        return 0;
    }
}
