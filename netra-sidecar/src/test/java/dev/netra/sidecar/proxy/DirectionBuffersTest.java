package dev.netra.sidecar.proxy;

import dev.netra.sidecar.metrics.ProxyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** One direction's buffers against a real loopback socket: when they grow, and when they go back. */
class DirectionBuffersTest {
    private static final int NORMAL = 16 * 1024;

    private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
    private SocketChannel writer;
    private SocketChannel reader;

    @BeforeEach
    void connect() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            writer = SocketChannel.open(server.getLocalAddress());
            reader = server.accept();
        }
    }

    @AfterEach
    void close() throws IOException {
        writer.close();
        reader.close();
    }

    /** Writes {@code n} bytes and waits until the reader's socket holds them all. */
    private void send(int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            writer.write(b);
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (reader.socket().getInputStream().available() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** Reads once and "forwards" what was read, as a pump does; returns the bytes read. */
    private static int pass(DirectionBuffers buffers, SocketChannel from) throws IOException {
        int n = buffers.read(from);
        assertEquals(n, buffers.current().remaining(), "what was read is ready to forward");
        buffers.forwarded(n, false);
        return n;
    }

    @Test
    void aReadThatFillsTheSmallBufferContinuesInANormalOneThatGoesBackWhenTheSocketIsDrained() throws Exception {
        BufferPool pool = new BufferPool(NORMAL, 8, 1);
        ByteBuffer home = pool.acquireSmall();
        DirectionBuffers buffers = new DirectionBuffers(pool, metrics, home);
        send(100);
        assertEquals(100, pass(buffers, reader));
        assertSame(home, buffers.current(), "a short read stays on the small buffer");
        send(10_000);
        assertEquals(10_000, buffers.read(reader), "the small buffer's 4 KB and the rest the socket held, in one buffer");
        assertEquals(NORMAL, buffers.current().capacity());
        assertEquals(1, pool.inUse());
        buffers.forwarded(10_000, false);
        assertSame(home, buffers.current(), "the read drained the socket: back to the small buffer");
        assertEquals(0, pool.inUse());
    }

    @Test
    void aBulkFlowBorrowsALargeBufferOrIsCountedOnceWhenNoneIsLeft() throws Exception {
        int normal = 8 * 1024;
        BufferPool pool = new BufferPool(normal, 8, 1);
        ByteBuffer taken = pool.acquireLarge(); // the only one: the first flow is denied
        DirectionBuffers denied = new DirectionBuffers(pool, metrics, pool.acquireSmall());
        for (int streak = 0; streak < 2; streak++) {
            send(6 * normal);
            int read = 0;
            while (read < 6 * normal) {
                read += pass(denied, reader);
            }
            send(100);
            assertEquals(100, pass(denied, reader), "a short read ends the streak");
        }
        assertEquals(1, metrics.largeBufferLimitHits(), "denied in two streaks, counted once");
        pool.releaseLarge(taken);

        DirectionBuffers bulk = new DirectionBuffers(pool, metrics, pool.acquireSmall());
        send(6 * normal);
        int read = 0;
        while (read < 4 * normal) {
            read += pass(bulk, reader);
        }
        assertEquals(BufferPool.LARGE_BYTES, bulk.current().capacity(), "four full reads in a row: a bulk flow");
        assertEquals(1, pool.largeInUse());
        assertEquals(2 * normal, pass(bulk, reader), "the rest of the burst in one read");
        assertEquals(0, pool.largeInUse(), "the burst drained: the large buffer is back");
        assertEquals(1, metrics.largeBufferLimitHits());
    }
}
