package dev.netra.sidecar.http;

import java.nio.ByteBuffer;

/**
 * Collects a message head from the copy loop's buffer, whatever the split, until the empty line
 * that ends it; bounded by NETRA_HTTP_MAX_HEADER_BYTES. Its array is borrowed from the shared
 * {@link HeadArrays} when a head starts, grows by doubling, and goes back between messages.
 */
final class HeadReader {
    private static final int INITIAL = 2048;
    private static final byte[] NONE = new byte[0];

    private final int max;
    private final HeadArrays arrays;
    private byte[] buf = NONE;
    private int length;
    /** 0 in a line; 1 after LF; 2 after LF CR. */
    private int state;

    HeadReader(int max, HeadArrays arrays) {
        this.max = max;
        this.arrays = arrays;
    }

    /** Result of {@link #consume}. */
    enum Result { NEED_MORE, COMPLETE, TOO_LARGE }

    void reset() {
        length = 0;
        state = 0;
    }

    /**
     * Moves head bytes from {@code in} (position advances) until the head is complete, the
     * input is used up, or the head outgrew the limit.
     */
    Result consume(ByteBuffer in) {
        while (in.hasRemaining()) {
            if (length == max) {
                return Result.TOO_LARGE;
            }
            if (length == buf.length) {
                byte[] bigger = arrays.acquire(Math.min(max, Math.max(INITIAL, buf.length * 2)));
                System.arraycopy(buf, 0, bigger, 0, length);
                arrays.release(buf == NONE ? null : buf);
                buf = bigger;
            }
            byte b = in.get();
            buf[length++] = b;
            if (b == '\n') {
                if (state != 0) {
                    state = 0;
                    return Result.COMPLETE;
                }
                state = 1;
            } else if (b == '\r' && state == 1) {
                state = 2;
            } else {
                state = 0;
            }
        }
        return Result.NEED_MORE;
    }

    /**
     * Gives the array back when no head is being collected; the caller guarantees that nothing
     * it wrote from the array is still waiting to be written.
     */
    void release() {
        if (length == 0 && buf != NONE) {
            arrays.release(buf);
            buf = NONE;
        }
    }

    byte[] bytes() {
        return buf;
    }

    int length() {
        return length;
    }
}
