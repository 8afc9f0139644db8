package dev.netra.sidecar.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** Where the request framer writes when each request may go to another upstream (routing). */
final class SwitchableChannel implements WritableByteChannel {
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
