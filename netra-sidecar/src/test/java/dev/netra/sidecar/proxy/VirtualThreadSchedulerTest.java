package dev.netra.sidecar.proxy;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The unit tests run as bin/netra runs the sidecar: platform-thread pollers, java.lang opened (pom.xml). */
class VirtualThreadSchedulerTest {

    @Test
    void aBlockingReadThatBecomesReadyResumesOnThePollersThread() throws Exception {
        VirtualThreadScheduler s = VirtualThreadScheduler.of("poller");
        assertTrue(s.poller(), "jdk.pollerMode=1 and --add-opens are in the test JVM's arguments");
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             SocketChannel client = SocketChannel.open(server.getLocalSocketAddress());
             Socket accepted = server.accept()) {
            AtomicReference<String> got = new AtomicReference<>();
            CountDownLatch reading = new CountDownLatch(1);
            Thread reader = s.start("netra-conn-1", () -> {
                ByteBuffer b = ByteBuffer.allocate(16);
                try {
                    reading.countDown();
                    int n = 0;
                    while (n < 5) {
                        n += client.read(b); // parks until the bytes come: the poller resumes it
                    }
                    got.set(new String(b.array(), 0, n));
                } catch (java.io.IOException e) {
                    got.set(e.toString());
                }
            });
            assertTrue(reading.await(5, TimeUnit.SECONDS));
            long before = s.resumedOnPoller();
            awaitParked(reader);
            OutputStream out = accepted.getOutputStream();
            out.write("hello".getBytes());
            out.flush();
            reader.join(5000);
            assertEquals("hello", got.get());
            assertTrue(s.resumedOnPoller() > before, "resumed on the poller's thread, not handed to a pool");
        }
    }

    @Test
    void otherUnparksRunOnThePoolAndPlainVirtualThreadsStillWork() throws Exception {
        VirtualThreadScheduler s = VirtualThreadScheduler.of("poller");
        AtomicReference<String> ran = new AtomicReference<>();
        Thread t = s.start("netra-conn-7", () -> {
            try {
                Thread.sleep(20); // a timer's unpark: the pool
            } catch (InterruptedException e) {
                return;
            }
            ran.set(Thread.currentThread().getName() + (Thread.currentThread().isVirtual() ? " virtual" : " platform"));
        });
        t.join(5000);
        assertEquals("netra-conn-7 virtual", ran.get());
        assertFalse(VirtualThreadScheduler.of("jdk").poller());
    }

    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(Thread.State.WAITING, t.getState(), "the reader parked in its read");
    }
}
