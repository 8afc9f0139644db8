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
