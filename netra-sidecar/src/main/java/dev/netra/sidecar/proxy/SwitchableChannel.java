package dev.netra.sidecar.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;

/**
 * Where the request framer writes when each request may go to another upstream (routing): the
 * upstream the last request head chose, nothing (a request answered locally), or, once the
 * connection is no longer parsed, the one upstream joined raw to the client.
 */
final class SwitchableChannel implements GatheringByteChannel {
    /** Picks the upstream raw bytes go to; null drops them. */
    @FunctionalInterface
    interface RawTarget {
        SocketChannel get() throws IOException;
    }

    private final RawTarget rawTarget;
    private final BooleanSupplier parsed;
    private volatile SocketChannel target;
    private boolean raw;

    SwitchableChannel(RawTarget rawTarget, BooleanSupplier parsed) {
        this.rawTarget = rawTarget;
        this.parsed = parsed;
    }

    /** Sends what follows to {@code to}; null drops it (a request answered locally). */
    void to(SocketChannel to) {
        this.target = to;
    }

    /** The socket bytes go to now, or null. */
    SocketChannel current() {
        return target;
    }

    private SocketChannel target() throws IOException {
        if (!raw && !parsed.getAsBoolean()) {
            raw = true;
            target = rawTarget.get();
        }
        return target;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        SocketChannel t = target();
        if (t == null) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }
        return t.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        SocketChannel t = target();
        if (t != null) {
            return t.write(srcs, offset, length);
        }
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += write(srcs[i]);
        }
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    /** Half-closes the current target (the client ended a tunnel or a raw join). */
    void shutdownOutput() throws IOException {
        SocketChannel t = target;
        if (t != null && t.isOpen()) {
            t.shutdownOutput();
        }
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
