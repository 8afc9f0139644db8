package dev.netra.sidecar.proxy;

import dev.netra.sidecar.HttpHeads;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.Main;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.HeaderEdits;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.metrics.ProxyMetrics;
import dev.netra.sidecar.routing.Router;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Routing in-process: an app connection to "svc" (v1), routes to "svc-v2", pooling, order, 502. */
class RoutingTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<Server> servers = new CopyOnWriteArrayList<>();
    private Listener listener;
    private ProxyMetrics metrics;

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
            listener.close();
        }
        for (Server s : servers) {
            s.socket.close();
        }
        timer.shutdownNow();
    }

    /** A keep-alive HTTP server that answers "<name> <path>" after {@code delayMillis}, recording what it saw. */
    private final class Server {
        final ServerSocket socket;
        final String name;
        final AtomicInteger connections = new AtomicInteger();
        /** Connections open now: the proxy closed the others. */
        final AtomicInteger open = new AtomicInteger();
        final List<String> heads = new CopyOnWriteArrayList<>();

        Server(String name, InetAddress bind, long delayMillis) throws IOException {
            this.name = name;
            this.socket = new ServerSocket(0, 50, bind);
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        connections.incrementAndGet();
                        open.incrementAndGet();
                        Thread.ofVirtual().start(() -> {
                            try {
                                serve(s, delayMillis);
                            } finally {
                                open.decrementAndGet();
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            servers.add(this);
        }

        int port() {
            return socket.getLocalPort();
        }

        private void serve(Socket s, long delayMillis) {
            try (s) {
                InputStream in = new BufferedInputStream(s.getInputStream());
                String head;
                while ((head = HttpHeads.read(in)) != null) {
                    heads.add(head);
                    Thread.sleep(delayMillis);
                    String path = head.split(" ")[1];
                    String body = name + " " + path;
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException | InterruptedException e) {
                // the test sees what it got
            }
        }
    }

    private InetSocketAddress proxy(InetSocketAddress original, Map<String, String> env) throws IOException {
        Map<String, String> all = new HashMap<>(env);
        all.put("NETRA_HTTP_ROUTING_ENABLED", "true");
        all.putIfAbsent("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "127.0.0.0/8");
        all.put("NETRA_HTTP_PORTS", String.valueOf(original.getPort()));
        SidecarConfig config = SidecarConfig.from(all, List.of("--service-name", "app"));
        PrometheusRegistry registry = new PrometheusRegistry();
        metrics = new ProxyMetrics(registry);
        Router router = new Router(config, registry, timer);
        HeaderEdits edits = new RequestIdEdits("X-Request-Id", "X-Source", "netra").andThen(router.edits());
        // The servers listen on other loopback addresses, so the kernel may give the listener the
        // same port number as the original destination: the sidecar then refuses it as a loop.
        for (int attempt = 0; ; attempt++) {
            listener = new Listener(config, metrics, ch -> Optional.of(original),
                    Main.httpSettings(config, metrics, edits, List.of()), router);
            listener.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (((InetSocketAddress) listener.localAddress()).getPort() != original.getPort() || attempt == 5) {
                break;
            }
            listener.close();
        }
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), ((InetSocketAddress) listener.localAddress()).getPort());
    }

    private static String request(String path, int port, String headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: svc:" + port + "\r\n" + headers + "\r\n";
    }

    /** Sends all requests at once (pipelined), reads {@code n} responses' bodies. */
    private static List<String> exchange(InetSocketAddress proxy, int n, String... requests) throws IOException {
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(String.join("", requests).getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            List<String> bodies = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                String head = HttpHeads.read(in);
                int length = Integer.parseInt(head.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
                String status = head.substring(9, 12);
                bodies.add(status + " " + new String(in.readNBytes(length), StandardCharsets.US_ASCII));
            }
            return bodies;
        }
    }

    @Test
    void headerCookieAndPriority() throws Exception {
        Server v1 = new Server("v1", InetAddress.getByName("127.0.0.2"), 0);
        Server v2 = new Server("v2", InetAddress.getByName("127.0.0.3"), 0);
        InetSocketAddress original = new InetSocketAddress("127.0.0.2", v1.port());
        InetSocketAddress proxy = proxy(original, Map.of("NETRA_HTTP_ROUTING_COOKIE_ENABLED", "true"));
        String toV2 = "svc=127.0.0.3:" + v2.port();
        assertEquals(List.of("200 v2 /h"), exchange(proxy, 1, request("/h", v1.port(), "X-Route: " + toV2 + "\r\n")));
        assertEquals(List.of("200 v2 /c"), exchange(proxy, 1, request("/c", v1.port(), "Cookie: a=1; X-Route=" + toV2 + "\r\n")));
        assertEquals(List.of("200 v1 /p"), exchange(proxy, 1, request("/p", v1.port(),
                "X-Route: " + toV2 + "\r\nCookie: X-Route=svc=svc\r\n")), "the cookie wins (and svc=svc goes nowhere)");
        assertEquals(List.of("200 v1 /none"), exchange(proxy, 1, request("/none", v1.port(), "X-Route: other=127.0.0.3:1, broken\r\n")));
        assertTrue(v2.heads.getFirst().startsWith("GET /h HTTP/1.1\r\nHost: svc:" + v1.port() + "\r\n"), "Host left as sent");
    }

    @Test
    void aClientSilentPastTheDetectDeadlineOnAnHttpPortIsStillRouted() throws Exception {
        Server v1 = new Server("v1", InetAddress.getByName("127.0.0.2"), 0);
        Server v2 = new Server("v2", InetAddress.getByName("127.0.0.3"), 0);
        InetSocketAddress proxy = proxy(new InetSocketAddress("127.0.0.2", v1.port()),
                Map.of("NETRA_DETECT_TIMEOUT_MILLISECONDS", "20"));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            // a pooled client connection, opened well before its first request
            Thread.sleep(200);
            s.getOutputStream().write(request("/late", v1.port(), "X-Route: svc=127.0.0.3:" + v2.port() + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            String head = HttpHeads.read(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertEquals("v2 /late", new String(in.readNBytes("v2 /late".length()), StandardCharsets.US_ASCII),
                    "a port in NETRA_HTTP_PORTS waits for the first request however late, and routes it");
        }
    }

    @Test
    void aClientRoutingToEverNewDestinationsKeepsABoundedPoolOfIdleUpstreams() throws Exception {
        Server v1 = new Server("v1", InetAddress.getByName("127.0.0.2"), 0);
        List<Server> targets = new ArrayList<>();
        for (int i = 0; i < RoutedUpstreams.MAX_IDLE + 8; i++) {
            targets.add(new Server("t" + i, InetAddress.getByName("127.0.0.3"), 0));
        }
        InetSocketAddress proxy = proxy(new InetSocketAddress("127.0.0.2", v1.port()), Map.of());
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (Server t : targets) {
                s.getOutputStream().write(request("/" + t.name, v1.port(), "X-Route: svc=127.0.0.3:" + t.port() + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String body = t.name + " /" + t.name;
                assertTrue(HttpHeads.read(in).startsWith("HTTP/1.1 200"));
                assertEquals(body, new String(in.readNBytes(body.length()), StandardCharsets.US_ASCII));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (openUpstreams(targets) > RoutedUpstreams.MAX_IDLE && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(RoutedUpstreams.MAX_IDLE, openUpstreams(targets), "the longest idle ones were closed");
            assertEquals(1, targets.getLast().open.get(), "the most recent one is kept");
            assertEquals(0, targets.getFirst().open.get(), "the first one was idle longest");
        }
    }

    private static int openUpstreams(List<Server> servers) {
        return servers.stream().mapToInt(t -> t.open.get()).sum();
    }

    @Test
    void upstreamConnectionsArePooledAndPipelinedResponsesKeepTheirOrder() throws Exception {
        Server v1 = new Server("v1", InetAddress.getByName("127.0.0.2"), 0);
        Server slow = new Server("v2", InetAddress.getByName("127.0.0.3"), 300);
        InetSocketAddress proxy = proxy(new InetSocketAddress("127.0.0.2", v1.port()), Map.of());
        String route = "X-Route: svc=127.0.0.3:" + slow.port() + "\r\n";
        assertEquals(List.of("200 v2 /1", "200 v1 /2", "200 v2 /3", "200 v1 /4"), exchange(proxy, 4,
                request("/1", v1.port(), route), request("/2", v1.port(), ""), request("/3", v1.port(), route),
                request("/4", v1.port(), "")));
        // one client connection, requests one after the other: one upstream connection does them all
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            int before = v1.connections.get();
            for (int i = 0; i < 5; i++) {
                s.getOutputStream().write(request("/seq" + i, v1.port(), "").getBytes(StandardCharsets.US_ASCII));
                String head = HttpHeads.read(in);
                int length = Integer.parseInt(head.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
                in.readNBytes(length);
            }
            assertEquals(before + 1, v1.connections.get(), "reused, not dialled per request");
        }
    }

    @Test
    void anIdleRoutedConnectionHoldsOnlyItsSmallBuffers() throws Exception {
        Server v1 = new Server("v1", InetAddress.getByName("127.0.0.2"), 0);
        InetSocketAddress proxy = proxy(new InetSocketAddress("127.0.0.2", v1.port()), Map.of());
        String path = "/" + "x".repeat(20_000); // a 20 KB request head and a 20 KB response body
        BufferPool buffers = listener.buffers();
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (String p : new String[] {path, "/small"}) {
                s.getOutputStream().write(request(p, v1.port(), "").getBytes(StandardCharsets.US_ASCII));
                String head = HttpHeads.read(in);
                int length = Integer.parseInt(head.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
                assertEquals("v1 " + p, new String(in.readNBytes(length), StandardCharsets.US_ASCII));
            }
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (buffers.inUse() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(buffers.pooled() >= 1, "the large messages moved through normal buffers");
            assertEquals(0, buffers.inUse(), "which are back while the connection idles");
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(2, buffers.pooledSmall(), "it waited on two small ones, back once it closed");
    }

    @Test
    void anUnreachableTargetIsAnswered502NamingIt() throws Exception {
        Server v1 = new Server("v1", InetAddress.getByName("127.0.0.2"), 0);
        ServerSocket closed = new ServerSocket(0);
        int dead = closed.getLocalPort();
        closed.close();
        InetSocketAddress proxy = proxy(new InetSocketAddress("127.0.0.2", v1.port()), Map.of());
        List<String> got = exchange(proxy, 2, request("/x", v1.port(), "X-Route: svc=127.0.0.4:" + dead + "\r\n"),
                request("/after", v1.port(), ""));
        assertTrue(got.get(0).startsWith("502 netra: routed target 127.0.0.4:" + dead + " cannot be reached"), got.get(0));
        assertEquals("200 v1 /after", got.get(1), "the connection goes on");
        assertEquals(1, metrics.connectFailures(dev.netra.sidecar.Direction.OUTBOUND,
                dev.netra.sidecar.metrics.ProxyMetrics.ConnectFailure.REFUSED),
                "counted like a plain connection's failed connect");
    }

    @Test
    void onlyAllowedTargetsAreDialled() throws Exception {
        Server v1 = new Server("v1", InetAddress.getByName("127.0.0.2"), 0);
        Server v2 = new Server("v2", InetAddress.getByName("127.0.0.3"), 0);
        InetSocketAddress proxy = proxy(new InetSocketAddress("127.0.0.2", v1.port()),
                Map.of("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "127.0.0.3"));
        assertEquals(List.of("200 v1 /deny"), exchange(proxy, 1, request("/deny", v1.port(), "X-Route: svc=127.0.0.5:" + v2.port() + "\r\n")));
        assertEquals(List.of("200 v2 /ok"), exchange(proxy, 1, request("/ok", v1.port(), "X-Route: svc=127.0.0.3:" + v2.port() + "\r\n")));
    }

    @Test
    void routedConnectionsRunOnPlatformThreadsUntilMoreAreOpenThenMoveEvenMidResponse() throws Exception {
        CountDownLatch moved = new CountDownLatch(1);
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"));
        Thread.ofVirtual().start(() -> {
            try (server) {
                while (true) {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serveInParts(s, moved));
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        });
        InetSocketAddress proxy = proxy(new InetSocketAddress("127.0.0.2", server.getLocalPort()),
                Map.of("NETRA_PLATFORM_THREAD_CONNECTIONS", "1"));
        String body = "a".repeat(10) + "b".repeat(10) + "c".repeat(10);
        long received = 0;
        try (Socket first = new Socket(proxy.getAddress(), proxy.getPort())) {
            first.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(first.getInputStream());
            received += exchangeOn(first, in, "/fast", server.getLocalPort(), body);
            assertEquals(1, metrics.platformThreadConnections(), "alone: on platform threads");
            try (Socket second = new Socket(proxy.getAddress(), proxy.getPort())) {
                second.setSoTimeout(10_000);
                received += exchangeOn(second, new BufferedInputStream(second.getInputStream()), "/fast",
                        server.getLocalPort(), body);
                assertEquals(1, metrics.platformThreadConnections(), "two open: the second is on virtual threads");
                // The first one's request side moves after its next read; its responder, waiting for
                // the next entry since before the second connection opened, takes /parts and moves
                // after the first read of that response: the server sends the rest once both moved.
                // (A responder slower to wait than the test is to open the second connection moves
                // between the two responses instead: two moves either way.)
                first.getOutputStream().write(request("/parts", server.getLocalPort(), "").getBytes(StandardCharsets.US_ASCII));
                String head = HttpHeads.read(in);
                assertEquals("a".repeat(10), new String(in.readNBytes(10), StandardCharsets.US_ASCII));
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (metrics.movesToVirtualThreads() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue(metrics.movesToVirtualThreads() >= 2, "both directions moved, the responder mid-response");
                moved.countDown();
                assertEquals("b".repeat(10) + "c".repeat(10), new String(in.readNBytes(20), StandardCharsets.US_ASCII));
                received += head.length() + 30;
                received += exchangeOn(first, in, "/fast", server.getLocalPort(), body);
            }
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertTrue(metrics.movesToVirtualThreads() <= 2, "no direction moved twice");
        assertEquals(received, metrics.bytes(Direction.OUTBOUND, false), "counted once across the moves");
    }

    /** One request on {@code s} and its whole response, checked: returns the response's bytes. */
    private static long exchangeOn(Socket s, InputStream in, String path, int port, String body) throws IOException {
        s.getOutputStream().write(request(path, port, "").getBytes(StandardCharsets.US_ASCII));
        String head = HttpHeads.read(in);
        assertEquals(body, new String(in.readNBytes(body.length()), StandardCharsets.US_ASCII), path);
        return head.length() + body.length();
    }

    /** Answers each request with 30 body bytes; for /parts the last 20 only once {@code moved}. */
    private static void serveInParts(Socket s, CountDownLatch moved) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            java.io.OutputStream out = s.getOutputStream();
            String head;
            while ((head = HttpHeads.read(in)) != null) {
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n" + "a".repeat(10)).getBytes(StandardCharsets.US_ASCII));
                if (head.startsWith("GET /parts ")) {
                    out.flush();
                    moved.await();
                }
                out.write(("b".repeat(10) + "c".repeat(10)).getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the test sees what it got
        }
    }
}
