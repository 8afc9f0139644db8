package dev.netra.sidecar.proxy;

import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.metrics.ProxyMetrics;
import dev.netra.sidecar.metrics.ProxyMetrics.ConnectFailure;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.metrics.ProxyMetrics.Rejection;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proxy in-process on loopback, with the original destination given by the test instead of
 * the kernel (the kernel path is covered by netra-ffm and the it-tests).
 */
class ListenerTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
    private final AtomicReference<InetSocketAddress> target = new AtomicReference<>();
    private Listener listener;
    private ServerSocket upstream;

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            assertTrue(listener.awaitDrained(Duration.ofSeconds(5)), "every connection released what it held");
            listener.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private InetSocketAddress startProxy(Map<String, String> env) throws IOException {
        listener = TestProxies.start(env, metrics, target::get);
        return TestProxies.address(listener);
    }

    /** An upstream that runs {@code handler} for each connection. */
    private InetSocketAddress startUpstream(InetAddress bind, Handler handler) throws IOException {
        upstream = new ServerSocket(0, 50, bind);
        Thread.ofVirtual().start(() -> {
            while (!upstream.isClosed()) {
                try {
                    Socket s = upstream.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            handler.handle(s);
                        } catch (IOException ignored) {
                            // the test's client sees what happened
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return new InetSocketAddress(bind, upstream.getLocalPort());
    }

    interface Handler {
        void handle(Socket s) throws IOException;
    }

    private static void echo(Socket s) throws IOException {
        s.getInputStream().transferTo(s.getOutputStream());
        s.shutdownOutput();
    }

    @Test
    void copiesBytesBothWaysExactly() throws Exception {
        target.set(startUpstream(LOOPBACK, ListenerTest::echo));
        InetSocketAddress proxy = startProxy(Map.of("NETRA_BUFFER_BYTES", "1024", "NETRA_SPLICE_ENABLED", "false"));
        byte[] payload = new byte[3_000_000];
        new Random(1).nextBytes(payload);
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(payload);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] got = s.getInputStream().readAllBytes();
            writer.join();
            assertArrayEquals(payload, got);
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(1, metrics.opened(Direction.INBOUND), "target IP is the socket's own: inbound");
        assertEquals(payload.length, metrics.bytes(Direction.INBOUND, true));
        assertEquals(payload.length, metrics.bytes(Direction.INBOUND, false));
        assertEquals(0, metrics.active(Direction.INBOUND));
        assertEquals(0, listener.buffers().largeInUse(), "bulk flows handed their large buffers back");
    }

    @Test
    void bulkFlowsShareABoundedNumberOfLargeBuffersAndEveryByteArrives() throws Exception {
        int connections = 40; // 40 bulk flows at once for 32 large buffers
        byte[] payload = new byte[1_000_000];
        new Random(2).nextBytes(payload);
        target.set(startUpstream(LOOPBACK, s -> {
            byte[] got = s.getInputStream().readNBytes(payload.length);
            s.getOutputStream().write(Arrays.equals(got, payload) ? 'Y' : 'N');
        }));
        InetSocketAddress proxy = startProxy(Map.of("NETRA_BUFFER_BYTES", "1024", "NETRA_SPLICE_ENABLED", "false"));
        java.util.concurrent.atomic.AtomicInteger exact = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> clients = new java.util.ArrayList<>();
        for (int i = 0; i < connections; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
                    s.getOutputStream().write(payload);
                    if (s.getInputStream().read() == 'Y') {
                        exact.incrementAndGet();
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (Thread t : clients) {
            t.join(30_000);
        }
        assertEquals(connections, exact.get(), "every upstream got exactly the bytes sent");
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        int peak = listener.buffers().largePeak();
        assertTrue(peak >= 1 && peak <= 32, "bulk flows got large buffers, never more than 32 at once: " + peak);
        assertTrue(metrics.largeBufferLimitHits() <= connections, "a flow denied a large buffer counts once");
        assertEquals(0, listener.buffers().largeInUse(), "and all were handed back");
    }

    @Test
    void aDirectionHandsItsLargeBufferBackWhenItsBurstEnds() throws Exception {
        target.set(startUpstream(LOOPBACK, ListenerTest::echo));
        // opaque: plain TCP, no HTTP framing to say where a message ends
        InetSocketAddress proxy = startProxy(Map.of("NETRA_OPAQUE_PORTS", String.valueOf(target.get().getPort()),
                "NETRA_SPLICE_ENABLED", "false"));
        BufferPool buffers = listener.buffers();
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            for (int size : new int[] {10, 4096, 5000, 16384, 2_000_000, 10}) {
                byte[] sent = body(size);
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        s.getOutputStream().write(sent);
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                assertArrayEquals(sent, s.getInputStream().readNBytes(size), "echo of " + size);
                writer.join();
            }
            // the burst is over and the connection idles: it holds its two small buffers only
            long deadline = System.nanoTime() + 2_000_000_000L;
            while ((buffers.largeInUse() > 0 || buffers.inUse() > 0) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(buffers.largePeak() >= 1, "the 2 MB burst moved through large buffers");
            assertEquals(0, buffers.largeInUse(), "an idle connection holds no large buffer");
            assertEquals(0, buffers.inUse(), "nor a normal one");
            assertTrue(buffers.pooled() >= 1, "the normal ones are back in the pool");
            assertEquals(0, buffers.pooledSmall(), "it waits on its small ones");
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(2, buffers.pooledSmall(), "which are back once it closes");
    }

    @Test
    void bulkRawFlowsAreSplicedByteExactAndGiveTheirPipesBack() throws Exception {
        dev.netra.ffm.SplicePipe.link(); // else the first bulk flow of the JVM is copied while it links
        target.set(startUpstream(LOOPBACK, ListenerTest::echo));
        InetSocketAddress proxy = startProxy(Map.of()); // detected: random bytes are not HTTP
        byte[] payload = new byte[8_000_000];
        new Random(3).nextBytes(payload);
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < payload.length; off += 500_000) {
                        out.write(payload, off, Math.min(500_000, payload.length - off));
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] got = s.getInputStream().readAllBytes();
            writer.join();
            assertArrayEquals(payload, got, "every byte, in order, after the half-close");
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertTrue(metrics.splicedFlows() >= 2, "both directions went by splice");
        assertEquals(1, metrics.platformThreadConnections(), "the connection started on platform threads");
        assertTrue(metrics.movesToVirtualThreads() >= 1 && metrics.movesToVirtualThreads() <= 2,
                "its directions moved to virtual threads to splice, each at most once");
        assertEquals(0, listener.pipes().inUse(), "and gave their pipes back");
        assertEquals(0, listener.buffers().largeInUse(), "no large buffer was needed");
        assertEquals(payload.length, metrics.bytes(Direction.INBOUND, true), "spliced bytes are counted");
        assertEquals(payload.length, metrics.bytes(Direction.INBOUND, false));
    }

    @Test
    void anUpstreamResetDuringASplicedFlowResetsTheClient() throws Exception {
        dev.netra.ffm.SplicePipe.link();
        target.set(startUpstream(LOOPBACK, s -> {
            s.getInputStream().readNBytes(2_000_000);
            s.setSoLinger(true, 0);
        }));
        InetSocketAddress proxy = startProxy(Map.of("NETRA_OPAQUE_PORTS", String.valueOf(target.get().getPort())));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            byte[] chunk = new byte[100_000];
            IOException e = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 1000; i++) { // 100 MB at most: the reset comes after 2 MB
                    s.getOutputStream().write(chunk);
                }
                s.getInputStream().read();
            });
            assertTrue(e.getMessage().contains("reset") || e.getMessage().contains("Broken pipe"), e.getMessage());
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertTrue(metrics.splicedFlows() >= 1, "the flow was spliced when the upstream went away");
        assertEquals(0, listener.pipes().inUse());
    }

    @Test
    void anAbortWakesASplicedFlowThatWaitsAndResetsBothSides() throws Exception {
        dev.netra.ffm.SplicePipe.link();
        java.util.concurrent.CompletableFuture<String> upstreamSaw = new java.util.concurrent.CompletableFuture<>();
        target.set(startUpstream(LOOPBACK, s -> {
            s.getInputStream().readNBytes(1_000_000);
            s.getOutputStream().write('Y');
            try {
                s.getInputStream().read(); // the spliced direction now waits for more
                upstreamSaw.complete("end of stream");
            } catch (IOException e) {
                upstreamSaw.complete(e.getMessage());
            }
        }));
        InetSocketAddress proxy = startProxy(Map.of("NETRA_OPAQUE_PORTS", String.valueOf(target.get().getPort())));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(body(1_000_000));
            assertEquals('Y', s.getInputStream().read());
            assertEquals(1, metrics.splicedFlows(), "the 1 MB direction is spliced, and idles");
            listener.abortAll(); // what the end of the shutdown grace period does
            SocketException e = assertThrows(SocketException.class, () -> s.getInputStream().read());
            assertTrue(e.getMessage().contains("reset"), e.getMessage());
        }
        assertTrue(upstreamSaw.get(10, java.util.concurrent.TimeUnit.SECONDS).contains("reset"), "the upstream is reset too");
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(0, listener.pipes().inUse());
    }

    @Test
    void httpIsDetectedFramedAndEditedOnTheWayThrough() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        target.set(startUpstream(InetAddress.getByName("127.0.0.2"), s -> {
            byte[] buf = new byte[4096];
            int n = s.getInputStream().read(buf);
            seen.set(new String(buf, 0, n));
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes());
            s.getInputStream().read();
        }));
        InetSocketAddress proxy = startProxy(Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.getOutputStream().write("GET /x HTTP/1.1\r\nHost: svc\r\n\r\n".getBytes());
            byte[] buf = new byte[4096];
            int n = 0;
            while (n < 40) {
                n += s.getInputStream().read(buf, n, buf.length - n);
            }
            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", new String(buf, 0, n));
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertTrue(seen.get().matches("GET /x HTTP/1.1\r\nHost: svc\r\nX-Request-Id: [-0-9a-f]{36}\r\nX-Source: netra\r\n\r\n"),
                seen.get());
        assertEquals(1, metrics.exchangeCount(Direction.OUTBOUND, dev.netra.sidecar.http.Exchange.End.COMPLETE));
    }

    /** Serves keep-alive GET /N with an N-byte body, head and body in one write. */
    private static void sizedBodies(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.toString().endsWith("\r\n\r\n")) {
                int size = Integer.parseInt(head.substring(5, head.indexOf(" HTTP/")));
                byte[] h = ("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes();
                byte[] message = Arrays.copyOf(h, h.length + size);
                System.arraycopy(body(size), 0, message, h.length, size);
                s.getOutputStream().write(message);
                head.setLength(0);
            }
        }
    }

    private static byte[] body(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    @Test
    void httpWaitsOnSmallBuffersAndMessagesOfEverySizeArriveWhole() throws Exception {
        target.set(startUpstream(InetAddress.getByName("127.0.0.2"), ListenerTest::sizedBodies));
        InetSocketAddress proxy = startProxy(Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            // around the 4 KB small buffer, the 16 KB normal one and a bulk body past four of those
            for (int size : new int[] {10, 4000, 4096, 5000, 16384, 40_000, 300_000, 10}) {
                s.getOutputStream().write(("GET /" + size + " HTTP/1.1\r\nHost: svc\r\n\r\n").getBytes());
                InputStream in = s.getInputStream();
                String head = new String(readHead(in));
                assertTrue(head.startsWith("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n"), head);
                assertArrayEquals(body(size), in.readNBytes(size), "body of " + size);
            }
            // idle between messages: the normal buffers borrowed for the large bodies are back
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (listener.buffers().inUse() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, listener.buffers().inUse(), "an idle keep-alive connection holds no normal buffer");
            assertEquals(0, listener.buffers().largeInUse(), "the bulk body's large buffer is back too");
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(2, listener.buffers().pooledSmall(), "both directions' small buffers are back");
        assertEquals(8, metrics.exchangeCount(Direction.OUTBOUND, dev.netra.sidecar.http.Exchange.End.COMPLETE));
    }

    /** Answers each request with its own body (Content-Length, or none), head and body in one write. */
    private static void echoBodies(Socket s) throws IOException {
        InputStream in = new java.io.BufferedInputStream(s.getInputStream());
        while (true) {
            String head;
            try {
                head = new String(readHead(in), java.nio.charset.StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return; // the client closed between messages
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Content-Length: (\\d+)").matcher(head);
            byte[] b = in.readNBytes(m.find() ? Integer.parseInt(m.group(1)) : 0);
            byte[] h = ("HTTP/1.1 200 OK\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes();
            byte[] message = Arrays.copyOf(h, h.length + b.length);
            System.arraycopy(b, 0, message, h.length, b.length);
            s.getOutputStream().write(message);
        }
    }

    @Test
    void longHttpBodiesAreSplicedAndTheMessagesAfterThemFramedAsBefore() throws Exception {
        dev.netra.ffm.SplicePipe.link();
        target.set(startUpstream(InetAddress.getByName("127.0.0.2"), ListenerTest::echoBodies));
        InetSocketAddress proxy = startProxy(Map.of());
        byte[] upload = body(3_000_000);
        long sent = 0;
        long received = 0;
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            byte[] head = ("POST /up HTTP/1.1\r\nHost: svc\r\nContent-Length: " + upload.length + "\r\n\r\n").getBytes();
            for (int round = 0; round < 2; round++) { // each long body is spliced, not only the first
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write(head);
                        for (int off = 0; off < upload.length; off += 100_000) {
                            out.write(upload, off, Math.min(100_000, upload.length - off));
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                byte[] responseHead = readHead(in);
                assertTrue(new String(responseHead).startsWith("HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n"));
                assertArrayEquals(upload, in.readNBytes(upload.length), "the body went up and came back byte-exact");
                writer.join();
                sent += head.length + upload.length;
                received += responseHead.length + upload.length;
            }
            // two small messages in one write after it: the framers found where the long bodies ended
            byte[] next = ("POST /a HTTP/1.1\r\nHost: svc\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /b HTTP/1.1\r\nHost: svc\r\n\r\n").getBytes();
            s.getOutputStream().write(next);
            sent += next.length;
            for (String expected : new String[] {"hello", ""}) {
                byte[] h = readHead(in);
                assertTrue(new String(h).startsWith("HTTP/1.1 200 OK\r\nContent-Length: " + expected.length() + "\r\n"));
                assertEquals(expected, new String(in.readNBytes(expected.length())));
                received += h.length + expected.length();
            }
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertTrue(metrics.splicedFlows() >= 2, "the request bodies and the response bodies went by splice");
        assertEquals(0, listener.pipes().inUse(), "and gave their pipes back");
        assertEquals(4, metrics.exchangeCount(Direction.OUTBOUND, dev.netra.sidecar.http.Exchange.End.COMPLETE));
        assertEquals(sent, metrics.bytes(Direction.OUTBOUND, true), "spliced bytes are counted once");
        assertEquals(received, metrics.bytes(Direction.OUTBOUND, false));
    }

    @Test
    void aSplicedBodyCutShortByTheUpstreamReachesTheClientAsItIs() throws Exception {
        dev.netra.ffm.SplicePipe.link();
        byte[] part = body(1_500_000);
        target.set(startUpstream(InetAddress.getByName("127.0.0.2"), s -> {
            readHead(s.getInputStream());
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n".getBytes());
            s.getOutputStream().write(part); // half of it, then the upstream closes
        }));
        InetSocketAddress proxy = startProxy(Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: svc\r\n\r\n".getBytes());
            InputStream in = s.getInputStream();
            readHead(in);
            assertArrayEquals(part, in.readAllBytes(), "what the upstream sent, then its end of stream");
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(1, metrics.splicedFlows());
        assertEquals(0, metrics.exchangeCount(Direction.OUTBOUND, dev.netra.sidecar.http.Exchange.End.COMPLETE),
                "a body cut short is not a complete exchange");
        assertEquals(1, metrics.exchangeCount(Direction.OUTBOUND, dev.netra.sidecar.http.Exchange.End.UPSTREAM_GONE));
    }

    private static byte[] readHead(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed inside a head: " + head);
            }
            head.write(c);
            matched = (c == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return head.toByteArray();
    }

    @Test
    void aDestinationOtherThanTheLocalAddressIsOutbound() throws Exception {
        InetAddress other = InetAddress.getByName("127.0.0.2");
        target.set(startUpstream(other, ListenerTest::echo));
        InetSocketAddress proxy = startProxy(Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.getOutputStream().write("hello".getBytes());
            s.shutdownOutput();
            assertEquals("hello", new String(s.getInputStream().readAllBytes()));
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(1, metrics.opened(Direction.OUTBOUND));
    }

    @Test
    void halfCloseKeepsTheOtherDirectionFlowing() throws Exception {
        byte[] reply = new byte[2_000_000];
        new Random(2).nextBytes(reply);
        target.set(startUpstream(LOOPBACK, s -> {
            byte[] request = s.getInputStream().readAllBytes(); // until the client's FIN
            OutputStream out = s.getOutputStream();
            out.write(String.valueOf(request.length).getBytes());
            out.write('\n');
            out.write(reply);
        }));
        InetSocketAddress proxy = startProxy(Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.getOutputStream().write(new byte[12345]);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            String header = new String(all, 0, 6);
            assertEquals("12345\n", header);
            assertArrayEquals(reply, Arrays.copyOfRange(all, 6, all.length));
        }
    }

    /** Sends {@code size} random bytes through {@code s} (an echo behind the proxy) and checks they come back. */
    private static void echoed(Socket s, int size, int seed) throws IOException {
        byte[] sent = new byte[size];
        new Random(seed).nextBytes(sent);
        s.getOutputStream().write(sent);
        assertArrayEquals(sent, s.getInputStream().readNBytes(size));
    }

    @Test
    void connectionsRunOnPlatformThreadsUntilMoreAreOpenThenMoveWithoutLosingAByte() throws Exception {
        target.set(startUpstream(LOOPBACK, ListenerTest::echo));
        InetSocketAddress proxy = startProxy(Map.of("NETRA_PLATFORM_THREAD_CONNECTIONS", "1", "NETRA_SPLICE_ENABLED", "false"));
        try (Socket first = new Socket(proxy.getAddress(), proxy.getPort())) {
            first.setSoTimeout(10_000);
            echoed(first, 1000, 1);
            assertEquals(1, metrics.platformThreadConnections(), "alone: on platform threads");
            assertEquals(0, metrics.movesToVirtualThreads());
            try (Socket second = new Socket(proxy.getAddress(), proxy.getPort())) {
                second.setSoTimeout(10_000);
                echoed(second, 1000, 2);
                assertEquals(1, metrics.platformThreadConnections(), "two open: the second is on virtual threads");
                // The first one's directions move at their next read, with what that read got.
                for (int i = 0; i < 20; i++) {
                    echoed(first, 3000, 10 + i);
                }
                assertTrue(metrics.movesToVirtualThreads() >= 1 && metrics.movesToVirtualThreads() <= 2,
                        "the first one's directions moved, each at most once");
                echoed(second, 3000, 3);
            }
            echoed(first, 1000, 4);
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        long bytes = 1000 + 1000 + 20 * 3000 + 3000 + 1000;
        assertEquals(bytes, metrics.bytes(Direction.INBOUND, true), "counted once across the move");
        assertEquals(bytes, metrics.bytes(Direction.INBOUND, false));
    }

    @Test
    void aConnectThatHangsIsCutAtItsTimeout() throws Exception {
        // An upstream whose accept queue is full: the kernel drops further SYNs, so a connect hangs.
        upstream = new ServerSocket(0, 1, LOOPBACK);
        List<Socket> queued = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) { // until a connect hangs: the queue is full
            Socket q = new Socket();
            queued.add(q);
            try {
                q.connect(upstream.getLocalSocketAddress(), 300);
            } catch (java.net.SocketTimeoutException full) {
                break;
            }
        }
        try {
            target.set(new InetSocketAddress(LOOPBACK, upstream.getLocalPort()));
            InetSocketAddress proxy = startProxy(Map.of("NETRA_PLATFORM_THREAD_CONNECTIONS", "0",
                    "NETRA_CONNECT_TIMEOUT_MILLISECONDS", "2000", "NETRA_OPAQUE_PORTS", String.valueOf(upstream.getLocalPort())));
            long start = System.nanoTime();
            try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
                s.setSoTimeout(10_000);
                try {
                    assertEquals(-1, s.getInputStream().read(), "the client is told: no connection");
                } catch (java.net.SocketException reset) {
                    // a reset tells it too
                }
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis >= 1900 && millis < 9000, "cut at the 2 s timeout: " + millis + " ms");
            assertEquals(1, metrics.connectFailures(Direction.INBOUND, ConnectFailure.TIMEOUT)
                    + metrics.connectFailures(Direction.OUTBOUND, ConnectFailure.TIMEOUT));
        } finally {
            for (Socket q : queued) {
                q.close();
            }
        }
    }

    @Test
    void aTlsConnectionIsNamedByItsClientHelloAndPassesUntouched() throws Exception {
        target.set(startUpstream(LOOPBACK, ListenerTest::echo));
        InetSocketAddress proxy = startProxy(Map.of());
        javax.net.ssl.SSLEngine engine = javax.net.ssl.SSLContext.getDefault().createSSLEngine("ledger.example", 443);
        engine.setUseClientMode(true);
        javax.net.ssl.SSLParameters p = engine.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        engine.setSSLParameters(p);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(java.nio.ByteBuffer.allocate(0), out);
        byte[] hello = java.util.Arrays.copyOf(out.array(), out.position());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(hello);
            assertArrayEquals(hello, s.getInputStream().readNBytes(hello.length), "the ClientHello passes as it came");
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(1, metrics.detectedCount(dev.netra.sidecar.detect.Protocol.TLS));
        java.io.ByteArrayOutputStream scrape = new java.io.ByteArrayOutputStream();
        io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create().write(scrape, metrics.registry().scrape(),
                io.prometheus.metrics.config.EscapingScheme.ALLOW_UTF8);
        assertTrue(scrape.toString().contains("netra_tls_client_hellos_total{alpn=\"h2\",direction=\"inbound\","
                + "server_name=\"ledger.example\"} 1.0"), scrape.toString());
    }

    @Test
    void withNoPlatformThreadConnectionsEveryConnectionIsVirtual() throws Exception {
        target.set(startUpstream(LOOPBACK, ListenerTest::echo));
        InetSocketAddress proxy = startProxy(Map.of("NETRA_PLATFORM_THREAD_CONNECTIONS", "0"));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            echoed(s, 1000, 1);
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(0, metrics.platformThreadConnections());
        assertEquals(0, metrics.movesToVirtualThreads());
    }

    @Test
    void aRefusedDestinationResetsTheClientAtOnce() throws Exception {
        ServerSocket closed = new ServerSocket(0, 1, LOOPBACK);
        int port = closed.getLocalPort();
        closed.close();
        target.set(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), port));
        InetSocketAddress proxy = startProxy(Map.of());
        long started = System.nanoTime();
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(5000);
            assertThrows(SocketException.class, () -> {
                s.getOutputStream().write(1);
                s.getInputStream().read();
                s.getOutputStream().write(1);
            });
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() < 2000);
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(1, metrics.connectFailures(Direction.OUTBOUND, ConnectFailure.REFUSED));
    }

    @Test
    void anUpstreamResetResetsTheClient() throws Exception {
        target.set(startUpstream(LOOPBACK, s -> {
            s.getInputStream().read();
            s.setSoLinger(true, 0);
        }));
        InetSocketAddress proxy = startProxy(Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(1);
            SocketException e = assertThrows(SocketException.class, () -> s.getInputStream().read());
            assertTrue(e.getMessage().contains("reset"), e.getMessage());
        }
    }

    @Test
    void aConnectionThatWasNotRedirectedIsRefused() throws Exception {
        target.set(null);
        InetSocketAddress proxy = startProxy(Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(5000);
            assertEquals(-1, s.getInputStream().read());
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(1, metrics.rejectedCount(Rejection.NO_ORIGINAL_DESTINATION));
        assertEquals(0, metrics.opened(Direction.INBOUND));
    }

    @Test
    void aConnectionToTheSidecarItselfIsNeverProxiedToItself() throws Exception {
        InetSocketAddress proxy = startProxy(Map.of());
        target.set(proxy);
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(5000);
            assertEquals(-1, s.getInputStream().read());
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(1, metrics.rejectedCount(Rejection.LOOP));
    }

    @Test
    void theConnectionLimitHoldsNewConnectionsInTheBacklogAndCountsIt() throws Exception {
        target.set(startUpstream(LOOPBACK, ListenerTest::echo));
        InetSocketAddress proxy = startProxy(Map.of("NETRA_MAX_CONNECTIONS", "1"));
        try (Socket first = new Socket(proxy.getAddress(), proxy.getPort());
             Socket second = new Socket(proxy.getAddress(), proxy.getPort())) {
            first.getOutputStream().write('a');
            assertEquals('a', first.getInputStream().read());
            second.setSoTimeout(300);
            second.getOutputStream().write('b');
            assertThrows(java.net.SocketTimeoutException.class, () -> second.getInputStream().read(),
                    "the second waits while the first is open");
            assertEquals(1, metrics.connectionLimitHits());
            first.close();
            second.setSoTimeout(5000);
            assertEquals('b', second.getInputStream().read());
        }
    }
}
