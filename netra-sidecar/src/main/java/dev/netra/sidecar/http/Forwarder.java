package dev.netra.sidecar.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * What one copy loop does with the bytes it read: pass them on raw, or through an HTTP/1
 * framer. Bound to the channel it writes to; every byte it is given is written there in order,
 * sooner or later (held head bytes at the latest by {@link #endOfStream}).
 */
public interface Forwarder {
    /** Consumes all of {@code in} (position to limit). */
    void forward(ByteBuffer in) throws IOException;

    /** The reading side ended its stream: write anything still held. */
    void endOfStream() throws IOException;

    /** Whether the bytes forwarded so far end a message, so the next read starts a new one. */
    default boolean betweenMessages() {
        return false;
    }

    /**
     * Whether every further byte passes unchanged and nothing is held: the caller may then move
     * the rest of the stream past this forwarder (splice), calling only {@link #endOfStream}.
     */
    default boolean raw() {
        return false;
    }

    /**
     * How many of the next bytes pass unchanged with nothing held (the rest of a message body
     * of known length, or all of them once {@link #raw}): the caller may move up to that many
     * past this forwarder (splice) and then reports them with {@link #passed}. 0 when none may.
     */
    default long passable() {
        return raw() ? Long.MAX_VALUE : 0;
    }

    /** {@code n} bytes, at most {@link #passable}, went past this forwarder to its channel. */
    default void passed(long n) throws IOException {
    }

    /** Whether a message head has begun and is not complete yet: what the request-head timeout watches. */
    default boolean midHead() {
        return false;
    }

    /** Plain TCP: every byte as it comes. */
    static Forwarder opaque(WritableByteChannel out) {
        return new Forwarder() {
            @Override
            public void forward(ByteBuffer in) throws IOException {
                writeFully(out, in);
            }

            @Override
            public void endOfStream() {
            }

            @Override
            public boolean raw() {
                return true;
            }
        };
    }

    static void writeFully(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}
