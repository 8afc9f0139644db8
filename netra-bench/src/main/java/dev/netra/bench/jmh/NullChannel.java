package dev.netra.bench.jmh;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** Discards what is written, like a fast peer. */
public final class NullChannel implements WritableByteChannel {
    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        src.position(src.limit());
        return n;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
