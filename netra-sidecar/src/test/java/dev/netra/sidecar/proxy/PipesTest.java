package dev.netra.sidecar.proxy;

import dev.netra.ffm.SplicePipe;
import dev.netra.sidecar.metrics.ProxyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class PipesTest {
    private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void link() {
        SplicePipe.link(); // the sidecar links in the background on the first bulk flow: see below
    }

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
        SplicePipe first = pipes.open(1, a, b, true);
        SplicePipe second = pipes.open(2, b, a, true);
        assertNotNull(first);
        assertNotNull(second);
        assertNull(pipes.open(3, a, b, true), "a third bulk flow is copied");
        assertEquals(1, metrics.spliceLimitHits());
        assertNull(pipes.open(3, a, b, false), "its next streak asks again");
        assertEquals(1, metrics.spliceLimitHits(), "and is not counted twice");
        assertEquals(2, metrics.splicedFlows());
        pipes.release(first);
        assertEquals(1, pipes.inUse());
        SplicePipe third = pipes.open(4, a, b, true);
        assertNotNull(third, "a released pipe makes room");
        pipes.release(second);
        pipes.release(third);
        assertEquals(0, pipes.inUse());
    }

    @Test
    void theFirstBulkFlowIsCopiedWhileASpareThreadLinksSplice() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger links = new AtomicInteger();
        AtomicReference<String> linkThread = new AtomicReference<>();
        AtomicBoolean done = new AtomicBoolean();
        Pipes pipes = new Pipes(true, 64, Pipes.PIPE_BYTES, metrics, done::get, () -> {
            links.incrementAndGet();
            linkThread.set(Thread.currentThread().getName());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.set(true);
        });
        SocketChannel a = connected();
        SocketChannel b = connected();
        assertNull(pipes.open(1, a, b, true), "not linked yet: copied");
        assertNull(pipes.open(2, a, b, true), "still linking: copied, and linked once");
        release.countDown();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!done.get() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        SplicePipe pipe = pipes.open(3, a, b, true);
        assertNotNull(pipe, "linked: spliced");
        pipes.release(pipe);
        assertEquals(1, links.get());
        assertEquals("netra-splice-link", linkThread.get());
        assertEquals(0, metrics.spliceLimitHits(), "waiting for the link is not a limit hit");
    }

    @Test
    void whereSpliceCannotBeLinkedEveryBulkFlowIsCopied() throws Exception {
        AtomicInteger links = new AtomicInteger();
        Pipes pipes = new Pipes(true, 64, Pipes.PIPE_BYTES, metrics, () -> false, () -> {
            links.incrementAndGet();
            throw new IllegalStateException("libc has no splice");
        });
        SocketChannel a = connected();
        SocketChannel b = connected();
        assertNull(pipes.open(1, a, b, true));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (pipes.available() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertFalse(pipes.available(), "the failed link made splice unavailable");
        assertNull(pipes.open(2, a, b, true));
        assertEquals(1, links.get(), "tried once");
    }

    @Test
    void disabledSplicingOpensNoPipeAndCountsNothing() throws Exception {
        Pipes pipes = new Pipes(false, 64, metrics);
        assertNull(pipes.open(1, connected(), connected(), true));
        assertEquals(0, metrics.spliceLimitHits(), "off by configuration is not a limit hit");
        assertEquals(0, pipes.inUse());
    }

    @Test
    void aPipeSmallerThanTheMinimumIsClosedAndTheFlowCopied() throws Exception {
        // what a pod gets once its node's sidecars have spent this uid's pipe budget
        Pipes pipes = new Pipes(true, 64, 64 * 1024, metrics, SplicePipe::linked, SplicePipe::link);
        SocketChannel a = connected();
        SocketChannel b = connected();
        long fds = openDescriptors();
        assertNull(pipes.open(1, a, b, true), "a 64 KB pipe is slower than copying");
        assertEquals(fds, openDescriptors(), "the small pipe's two descriptors are closed");
        assertEquals(1, metrics.spliceLimitHits());
        assertEquals(0, metrics.splicedFlows());
        assertEquals(0, pipes.inUse());
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void aSocketThatCannotBeSplicedIsCopiedAndCountedNotFailed() throws Exception {
        Pipes pipes = new Pipes(true, 64, metrics);
        SocketChannel closed = connected();
        closed.close();
        assertNull(pipes.open(1, closed, connected(), true), "a closed socket (fd -1) gets no pipe");
        assertEquals(1, metrics.spliceLimitHits());
        assertEquals(0, pipes.inUse(), "the refused pipe's slot is free again");
    }
}
