package dev.netra.sidecar.proxy;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Direct buffers for the copy loops, kept for reuse up to a bound so that an idle sidecar gives
 * memory back while a busy one does not allocate per connection.
 */
final class BufferPool {
    private final int bufferBytes;
    private final ArrayBlockingQueue<ByteBuffer> free;

    BufferPool(int bufferBytes, int maxPooled) {
        this.bufferBytes = bufferBytes;
        this.free = new ArrayBlockingQueue<>(maxPooled);
    }

    ByteBuffer acquire() {
        ByteBuffer b = free.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(bufferBytes);
    }

    void release(ByteBuffer b) {
        if (b != null) {
            free.offer(b);
        }
    }

    int pooled() {
        return free.size();
    }
}
