package dev.netra.sidecar.proxy;

import dev.netra.ffm.SplicePipe;
import dev.netra.sidecar.metrics.ProxyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class PipesTest {
    private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private SocketChannel connected() throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        open.add(server);
        SocketChannel ch = SocketChannel.open(server.getLocalAddress());
        open.add(ch);
        open.add(server.accept());
        ch.configureBlocking(false);
        return ch;
    }

    @Test
    void atMostMaxPipesAreOpenAndEachRefusalIsCounted() throws Exception {
        Pipes pipes = new Pipes(true, 2, metrics);
        SocketChannel a = connected();
        SocketChannel b = connected();
        SplicePipe first = pipes.open(1, a, b);
        SplicePipe second = pipes.open(2, b, a);
        assertNotNull(first);
        assertNotNull(second);
        assertNull(pipes.open(3, a, b), "a third bulk flow is copied");
        assertEquals(1, metrics.spliceLimitHits());
        assertEquals(2, metrics.splicedFlows());
        pipes.release(first);
        assertEquals(1, pipes.inUse());
        SplicePipe third = pipes.open(4, a, b);
        assertNotNull(third, "a released pipe makes room");
        pipes.release(second);
        pipes.release(third);
        assertEquals(0, pipes.inUse());
    }

    @Test
    void disabledSplicingOpensNoPipeAndCountsNothing() throws Exception {
        Pipes pipes = new Pipes(false, 64, metrics);
        assertNull(pipes.open(1, connected(), connected()));
        assertEquals(0, metrics.spliceLimitHits(), "off by configuration is not a limit hit");
        assertEquals(0, pipes.inUse());
    }

    @Test
    void aSocketThatCannotBeSplicedIsCopiedAndCountedNotFailed() throws Exception {
        Pipes pipes = new Pipes(true, 64, metrics);
        SocketChannel closed = connected();
        closed.close();
        assertNull(pipes.open(1, closed, connected()), "a closed socket (fd -1) gets no pipe");
        assertEquals(1, metrics.spliceLimitHits());
        assertEquals(0, pipes.inUse(), "the refused pipe's slot is free again");
    }
}
