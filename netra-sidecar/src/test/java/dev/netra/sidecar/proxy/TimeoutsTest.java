package dev.netra.sidecar.proxy;

import dev.netra.sidecar.metrics.ProxyMetrics;
import dev.netra.sidecar.metrics.ProxyMetrics.Timeout;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections that would otherwise be held forever (a silent upstream, a half-closed peer, a
 * trickling head) are let go after their timeout, with real sockets through the listener.
 */
class TimeoutsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
    private final List<Socket> upstreamSides = new ArrayList<>();
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
        for (Socket s : upstreamSides) {
            s.close();
        }
    }

    /** The proxy, in front of an upstream that accepts, reads everything and never answers or closes. */
    private InetSocketAddress proxyToSilentUpstream(Map<String, String> env) throws IOException {
        upstream = new ServerSocket(0, 50, LOOPBACK);
        Thread.ofVirtual().start(() -> {
            while (!upstream.isClosed()) {
                try {
                    Socket s = upstream.accept();
                    synchronized (upstreamSides) {
                        upstreamSides.add(s);
                    }
                    Thread.ofVirtual().start(() -> {
                        try {
                            s.getInputStream().transferTo(OutputStreamSink.INSTANCE);
                        } catch (IOException ignored) {
                            // reset by the proxy: what the test waits for
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        InetSocketAddress target = new InetSocketAddress(LOOPBACK, upstream.getLocalPort());
        listener = TestProxies.start(env, metrics, () -> target);
        return TestProxies.address(listener);
    }

    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }

    /** How the client's side ended: "eof" (FIN) or "reset", waiting at most {@code seconds}. */
    private static String ending(Socket s, int seconds) throws IOException {
        s.setSoTimeout(seconds * 1000);
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // nothing is expected; keep reading until the end
            }
            return "eof";
        } catch (SocketTimeoutException e) {
            return "still open after " + seconds + " s";
        } catch (SocketException e) {
            return "reset";
        }
    }

    private void awaitTimeouts(Timeout t, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (metrics.timeouts(t) < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(n, metrics.timeouts(t), t.label());
    }

    @Test
    void aClientThatGaveUpOnASilentUpstreamIsReleasedAfterTheHalfClosedTimeout() throws Exception {
        InetSocketAddress proxy = proxyToSilentUpstream(Map.of("NETRA_HALF_CLOSED_TIMEOUT_SECONDS", "1"));
        for (int i = 0; i < 5; i++) {
            Socket s = new Socket(proxy.getAddress(), proxy.getPort());
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.close(); // the app's own timeout fired: it closes, the upstream never answers
        }
        awaitTimeouts(Timeout.HALF_CLOSED, 5);
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)), "no slot is held");
    }

    @Test
    void aSilentConnectionIsClosedAfterTheIdleTimeoutWithAFin() throws Exception {
        InetSocketAddress proxy = proxyToSilentUpstream(Map.of("NETRA_IDLE_TIMEOUT_SECONDS", "1"));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertEquals("eof", ending(s, 10));
        }
        awaitTimeouts(Timeout.IDLE, 1);
    }

    @Test
    void bytesFlowingKeepAConnectionPastItsIdleTimeout() throws Exception {
        InetSocketAddress proxy = proxyToSilentUpstream(Map.of("NETRA_IDLE_TIMEOUT_SECONDS", "1"));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
            while (System.nanoTime() < end) {
                s.getOutputStream().write('x');
                Thread.sleep(200); // a byte every 200 ms: never idle for a second
            }
            assertEquals(0, metrics.timeouts(Timeout.IDLE), "a connection with traffic is not idle");
        }
    }

    @Test
    void aTricklingRequestHeadIsResetAfterTheRequestHeadTimeout() throws Exception {
        // HTTP is detected on any port: the head starts with a request line
        InetSocketAddress proxy = proxyToSilentUpstream(Map.of("NETRA_HTTP_REQUEST_HEAD_TIMEOUT_SECONDS", "1"));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII));
            // One thread writes a header line, then reads for 200 ms, until the connection ends: a
            // second thread writing would race the reader for the reset (a write that sees it first
            // leaves the read an end of stream).
            s.setSoTimeout(200);
            String ending = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ending == null && System.nanoTime() < deadline) {
                try {
                    s.getOutputStream().write("X-Slow: 1\r\n".getBytes(StandardCharsets.US_ASCII));
                    ending = s.getInputStream().read() < 0 ? "eof" : "bytes";
                } catch (SocketTimeoutException e) {
                    // still open: the next line
                } catch (SocketException e) {
                    ending = "reset";
                }
            }
            assertEquals("reset", ending);
        }
        awaitTimeouts(Timeout.REQUEST_HEAD, 1);
    }

    @Test
    void anUpstreamThatNeverAnswersIsResetAfterTheResponseHeadTimeoutWhenOneIsSet() throws Exception {
        InetSocketAddress proxy = proxyToSilentUpstream(Map.of("NETRA_HTTP_RESPONSE_HEAD_TIMEOUT_SECONDS", "1"));
        try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("reset", ending(s, 10));
        }
        awaitTimeouts(Timeout.RESPONSE_HEAD, 1);
    }
}
