package dev.netra.sidecar.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;

/** Where the request framer writes when each request may go to another upstream (routing). */
final class SwitchableChannel implements GatheringByteChannel {
    private WritableByteChannel target;

    /** Sends what follows to {@code to}; null discards it (a request answered locally). */
    void to(WritableByteChannel to) {
        this.target = to;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (target == null) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }
        return target.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        if (target instanceof GatheringByteChannel g) {
            return g.write(srcs, offset, length);
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

    /** Half-closes the current target (the client ended a tunnel). */
    void shutdownOutput() throws IOException {
        if (target instanceof java.nio.channels.SocketChannel ch) {
            ch.shutdownOutput();
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
