package dev.netra.sidecar.http;

import java.nio.ByteBuffer;

/**
 * Collects a message head from the copy loop's buffer, whatever the split, until the empty line
 * that ends it; bounded by NETRA_HTTP_MAX_HEADER_BYTES. The array grows from a small start so an
 * idle connection costs little.
 */
final class HeadReader {
    private static final int INITIAL = 2048;

    private final int max;
    private byte[] buf = new byte[0];
    private int length;
    /** 0 in a line; 1 after LF; 2 after LF CR. */
    private int state;

    HeadReader(int max) {
        this.max = max;
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
                byte[] bigger = new byte[Math.min(max, Math.max(INITIAL, buf.length * 2))];
                System.arraycopy(buf, 0, bigger, 0, length);
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

    byte[] bytes() {
        return buf;
    }

    int length() {
        return length;
    }
}
