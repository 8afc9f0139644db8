package dev.netra.sidecar.proxy;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers for the copy loops, kept for reuse up to a bound so that an idle sidecar gives
 * memory back while a busy one does not allocate per connection. A direction waits on a small
 * buffer and borrows a normal one while more arrives at once; a direction that keeps filling its
 * buffer (a bulk transfer) may borrow a large one, a bounded number at a time.
 */
final class BufferPool {
    /** Large enough that a bulk flow moves ~a socket buffer per read/write pair. */
    static final int LARGE_BYTES = 256 * 1024;
    /** Holds most request heads and small responses whole: what an idle keep-alive direction keeps. */
    static final int SMALL_BYTES = 4096;

    private final int bufferBytes;
    private final int maxLarge;
    private final ArrayBlockingQueue<ByteBuffer> free;
    private final ArrayBlockingQueue<ByteBuffer> freeSmall;
    private final ArrayBlockingQueue<ByteBuffer> freeLarge = new ArrayBlockingQueue<>(4);
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger largeInUse = new AtomicInteger();
    private final AtomicInteger largePeak = new AtomicInteger();

    BufferPool(int bufferBytes, int maxPooled, int maxLarge) {
        this.bufferBytes = bufferBytes;
        this.maxLarge = maxLarge;
        this.free = new ArrayBlockingQueue<>(maxPooled);
        this.freeSmall = new ArrayBlockingQueue<>(maxPooled);
    }

    int bufferBytes() {
        return bufferBytes;
    }

    ByteBuffer acquire() {
        inUse.incrementAndGet();
        ByteBuffer b = free.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(bufferBytes);
    }

    /** A small buffer, or a normal one when NETRA_BUFFER_BYTES is no larger than a small one. */
    ByteBuffer acquireSmall() {
        if (bufferBytes <= SMALL_BYTES) {
            return acquire();
        }
        ByteBuffer b = freeSmall.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(SMALL_BYTES);
    }

    /** Takes back a buffer from {@link #acquire} or {@link #acquireSmall}. */
    void release(ByteBuffer b) {
        if (b == null) {
            return;
        }
        if (b.capacity() == bufferBytes) {
            inUse.decrementAndGet();
            free.offer(b);
        } else if (b.capacity() == SMALL_BYTES) {
            freeSmall.offer(b);
        }
    }

    /** A large buffer, or null when {@code maxLarge} are out already (the caller keeps its small one). */
    ByteBuffer acquireLarge() {
        if (bufferBytes >= LARGE_BYTES) {
            return null;
        }
        int out = largeInUse.incrementAndGet();
        if (out > maxLarge) {
            largeInUse.decrementAndGet();
            return null;
        }
        largePeak.accumulateAndGet(out, Math::max);
        ByteBuffer b = freeLarge.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(LARGE_BYTES);
    }

    void releaseLarge(ByteBuffer b) {
        if (b != null) {
            largeInUse.decrementAndGet();
            freeLarge.offer(b);
        }
    }

    /** Drops the idle buffers (their memory goes with the next collection): a quiet sidecar keeps none. */
    void drain() {
        free.clear();
        freeSmall.clear();
        freeLarge.clear();
    }

    int pooled() {
        return free.size();
    }

    int pooledSmall() {
        return freeSmall.size();
    }

    /** Normal buffers out (borrowed, or a direction's own when they are no larger than small ones). */
    int inUse() {
        return inUse.get();
    }

    int largeInUse() {
        return largeInUse.get();
    }

    /** The most large buffers out at once so far. */
    int largePeak() {
        return largePeak.get();
    }
}
