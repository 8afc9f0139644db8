package dev.netra.sidecar.proxy;

import dev.netra.sidecar.metrics.ProxyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every connection does whatever its upstreams, run once with the one original destination
 * and once with routing (an upstream per request): an abort resets the client and every upstream,
 * a half-close lets the other direction finish, an upstream's reset reaches the client, and long
 * bodies go by splice byte-exact.
 */
class UpstreamStrategiesTest {
    private static final int PATIENCE_MILLIS = 5000;

    private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
    private Listener listener;
    private ServerSocket server;

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            assertTrue(listener.awaitDrained(Duration.ofSeconds(5)), "every connection released what it held");
            listener.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A server on 127.0.0.2 (so connections are outbound, where routing applies) running {@code handler} once. */
    private InetSocketAddress serveOnce(Handler handler) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"));
        Thread.ofVirtual().start(() -> {
            try (Socket s = server.accept()) {
                s.setSoTimeout(PATIENCE_MILLIS);
                handler.handle(s);
            } catch (IOException e) {
                // the client's side of the test sees what happened
            }
        });
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    interface Handler {
        void handle(Socket s) throws IOException;
    }

    private Socket client(InetSocketAddress original, boolean routing) throws IOException {
        listener = TestProxies.startTransparent(Map.of("NETRA_HTTP_PORTS", String.valueOf(original.getPort())),
                metrics, original, routing);
        Socket s = new Socket(InetAddress.getLoopbackAddress(), TestProxies.address(listener).getPort());
        s.setSoTimeout(PATIENCE_MILLIS);
        return s;
    }

    private static final String GET = "GET / HTTP/1.1\r\nHost: svc\r\n\r\n";

    @ParameterizedTest(name = "routing={0}")
    @ValueSource(booleans = {false, true})
    void anAbortResetsTheClientAndTheUpstream(boolean routing) throws Exception {
        CompletableFuture<Boolean> upstreamReset = new CompletableFuture<>();
        InetSocketAddress original = serveOnce(s -> {
            readHead(s.getInputStream());
            s.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"));
            try {
                s.getInputStream().read(); // a FIN or a byte: not what an abort sends
                upstreamReset.complete(Boolean.FALSE);
            } catch (SocketException e) {
                upstreamReset.complete(Boolean.TRUE);
            }
        });
        try (Socket c = client(original, routing)) {
            c.getOutputStream().write(ascii(GET));
            InputStream in = c.getInputStream();
            readHead(in);
            assertEquals("half", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
            listener.abortAll();
            assertThrows(SocketException.class, () -> in.read(), "the client is reset");
        }
        assertTrue(upstreamReset.get(PATIENCE_MILLIS, TimeUnit.MILLISECONDS), "the upstream is reset");
    }

    @ParameterizedTest(name = "routing={0}")
    @ValueSource(booleans = {false, true})
    void aClientThatHalfClosesStillGetsItsResponse(boolean routing) throws Exception {
        CountDownLatch requestRead = new CountDownLatch(1);
        InetSocketAddress original = serveOnce(s -> {
            readHead(s.getInputStream());
            requestRead.countDown();
            s.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
            s.getInputStream().readAllBytes();
        });
        try (Socket c = client(original, routing)) {
            c.getOutputStream().write(ascii(GET));
            c.shutdownOutput();
            InputStream in = c.getInputStream();
            assertTrue(requestRead.await(PATIENCE_MILLIS, TimeUnit.MILLISECONDS));
            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                    new String(in.readAllBytes(), StandardCharsets.US_ASCII), "the whole response, then the end");
        }
    }

    @ParameterizedTest(name = "routing={0}")
    @ValueSource(booleans = {false, true})
    void anUpstreamResetMidResponseResetsTheClient(boolean routing) throws Exception {
        InetSocketAddress original = serveOnce(s -> {
            readHead(s.getInputStream());
            s.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"));
            s.setSoLinger(true, 0);
        });
        try (Socket c = client(original, routing)) {
            c.getOutputStream().write(ascii(GET));
            InputStream in = c.getInputStream();
            readHead(in);
            assertEquals("half", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
            assertThrows(SocketException.class, () -> in.read(), "the reset reaches the client");
        }
    }

    @ParameterizedTest(name = "routing={0}")
    @ValueSource(booleans = {false, true})
    void longBodiesGoBySpliceByteExactAndTheNextMessageIsFramed(boolean routing) throws Exception {
        dev.netra.ffm.SplicePipe.link(); // else the first bulk flow of the JVM is copied while it links
        byte[] body = new byte[8 << 20];
        new SplittableRandom(7).nextBytes(body);
        InetSocketAddress original = serveOnce(s -> {
            InputStream in = s.getInputStream();
            readHead(in);
            byte[] up = in.readNBytes(body.length);
            s.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n"));
            s.getOutputStream().write(up); // the request body echoed
            readHead(in);
            s.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"));
            in.readAllBytes();
        });
        try (Socket c = client(original, routing)) {
            InputStream in = c.getInputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    c.getOutputStream().write(ascii("POST /up HTTP/1.1\r\nHost: svc\r\nContent-Length: " + body.length + "\r\n\r\n"));
                    c.getOutputStream().write(body);
                    c.getOutputStream().write(ascii(GET));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            readHead(in);
            assertArrayEquals(body, in.readNBytes(body.length), "every byte, in order");
            writer.join();
            readHead(in);
            assertEquals("next", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
        }
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertTrue(metrics.splicedFlows() >= 1, "the long bodies went by splice");
        assertEquals(0, listener.pipes().inUse(), "and gave their pipes back");
    }

    /** Reads a head up to its empty line. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return b.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
