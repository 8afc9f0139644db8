package dev.netra.sidecar.proxy;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.metrics.ProxyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Other proxies' own conformance cases (Envoy's, linkerd2-proxy's, HAProxy's, Go's), replayed byte for byte through the proxy in-process and
 * judged as a proxy that forwards rather than rejects must be: the client receives exactly the
 * server's bytes, promptly (a case whose server keeps the connection open fails if the proxy holds
 * a byte back); the server receives exactly the client's bytes (no header edits are configured);
 * the exchanges counted are those the server answered while HTTP/1 was parsed. Every case runs
 * over both upstream strategies (one upstream; routing) and both port policies (NETRA_HTTP_PORTS
 * listing the port; detection).
 */
class ConformanceTest {
    /** How long a side waits for a byte before the case fails: far above a prompt answer (milliseconds). */
    private static final int PATIENCE_MILLIS = 5000;
    private static final InetAddress SERVER_ADDRESS = loopback2();

    private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
    private Listener listener;
    private ServerSocket server;

    /** One turn: what the client sends, then what the server answers once it has all of it. */
    record Step(byte[] client, byte[] server) {
    }

    /**
     * @param source     the peer's test this case comes from
     * @param closes     the server closes the connection after its last answer (the client expects the close)
     * @param completed  exchanges counted as complete
     */
    record Case(String name, String source, List<Step> steps, boolean closes, int completed) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** How the proxy is set up for a run. */
    enum Setup {
        ONE_UPSTREAM_HTTP_PORTS(false, true), ONE_UPSTREAM_DETECTED(false, false),
        ROUTED_HTTP_PORTS(true, true), ROUTED_DETECTED(true, false);

        final boolean routing;
        final boolean httpPorts;

        Setup(boolean routing, boolean httpPorts) {
            this.routing = routing;
            this.httpPorts = httpPorts;
        }
    }

    private static Step step(String client, String server) {
        return new Step(ascii(client), ascii(server));
    }

    private static Case keepOpen(String name, String source, int completed, Step... steps) {
        return new Case(name, source, List.of(steps), false, completed);
    }

    private static Case closing(String name, String source, int completed, Step... steps) {
        return new Case(name, source, List.of(steps), true, completed);
    }

    private static final String BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    private static final String ENVOY = "envoy test/integration/integration_test.cc ";
    private static final String LINKERD = "linkerd2-proxy linkerd/app/integration/src/tests/transparency.rs ";
    private static final String GO = "Go ";
    private static final String HAPROXY = "HAProxy reg-tests/http-messaging/h1_to_h1.vtc ";

    static List<Case> cases() {
        byte[] tlsHello = new byte[517];
        tlsHello[0] = 0x16;
        tlsHello[1] = 0x03;
        tlsHello[2] = 0x01;
        tlsHello[3] = 0x02;
        for (int i = 5; i < tlsHello.length; i++) {
            tlsHello[i] = (byte) (i * 31);
        }
        return List.of(
                closing("bad-first-line", ENVOY + "BadFirstline", 0, step("hello\r\n", BAD_REQUEST)),
                keepOpen("not-a-request-line-kept-open", ENVOY + "BadFirstline, with a server that keeps the connection open", 0,
                        step("\u0001\u0002binary hello\r\n", "\u0003binary answer"), step("more", "and more")),
                closing("missing-delimiter", ENVOY + "MissingDelimiter", 0,
                        step("GET / HTTP/1.1\r\nHost: host\r\nfoo bar\r\n\r\n", BAD_REQUEST)),
                closing("invalid-character-in-first-line", ENVOY + "InvalidCharacterInFirstline", 0,
                        step("GE(T / HTTP/1.1\r\nHost: host\r\n\r\n", BAD_REQUEST)),
                closing("http-0.9", ENVOY + "Http09Enabled", 0, step("GET /\r\n\r\n", "an HTTP/0.9 body, ended by the close")),
                closing("smuggling-cl-and-te", ENVOY + "TestSmuggling", 0,
                        step("POST / HTTP/1.1\r\nHost: host\r\ncontent-length: 36\r\ntransfer-encoding: chunked\r\n\r\n"
                                + "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: host\r\n\r\n", BAD_REQUEST)),
                closing("multiple-content-lengths", ENVOY + "MultipleContentLengths", 0,
                        step("POST / HTTP/1.1\r\nHost: host\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nbody", BAD_REQUEST)),
                closing("http-1.0-close-delimited", ENVOY + "Http10Request", 1,
                        step("GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until the close")),
                keepOpen("http-1.0-keep-alive", ENVOY + "Http10WithHostandKeepAlive", 1,
                        step("GET / HTTP/1.0\r\nHost: www.redirect.com\r\nConnection: keep-alive\r\n\r\n",
                                "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok")),
                closing("http-1.1-body-until-eof", LINKERD + "http1_response_end_of_file", 1,
                        step("GET / HTTP/1.1\r\nHost: transparency.test.svc.cluster.local\r\n\r\n",
                                "HTTP/1.1 200 OK\r\n\r\nbody till eof")),
                keepOpen("head-with-content-length", LINKERD + "http1_head_responses", 1,
                        step("HEAD / HTTP/1.1\r\nHost: transparency.test.svc.cluster.local\r\n\r\n",
                                "HTTP/1.1 200 OK\r\ncontent-length: 55\r\n\r\n")),
                keepOpen("204-with-content-length-and-stray-bytes", LINKERD + "http1_bodyless_responses, with a body the status forbids", 1,
                        step("DELETE /x HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nstray")),
                keepOpen("304-stray-bytes-then-a-response", LINKERD + "http1_bodyless_responses, with a body the status forbids", 1,
                        step("GET /a HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\nxxxx"),
                        step("GET /b HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
                keepOpen("bytes-after-a-response", LINKERD + "http1_bodyless_responses, adapted: a server that sends more than it framed", 1,
                        step("GET / HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")),
                keepOpen("server-speaks-first", LINKERD + "tcp_server_first", 0,
                        step("", "220 smtp.test ESMTP ready\r\n"), step("EHLO client\r\n", "250 ok\r\n")),
                keepOpen("keep-alive-chunked-with-trailers", LINKERD + "http1_one_connection_per_host", 2,
                        step("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n",
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: y\r\n\r\n"),
                        step("GET /2 HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
                keepOpen("websocket-upgrade", GO + "net/http/httputil/reverseproxy_test.go TestReverseProxyWebSocket", 1,
                        step("GET / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
                                "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
                        step("Hello", "Hello"), step("GET / HTTP/1.1\r\n\r\n", "not HTTP any more")),
                closing("server-sets-connection-close", GO + "net/http/serve_test.go TestHandlersCanSetConnectionClose11", 1,
                        step("GET / HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")),
                keepOpen("expect-100-continue", GO + "net/http/serve_test.go TestServerExpect", 1,
                        step("PUT /f HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
                                "HTTP/1.1 100 Continue\r\n\r\n"),
                        step("body", "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")),
                keepOpen("get-with-a-body", HAPROXY + "(a GET's body: \"this must be delivered, like it or not\")", 2,
                        step("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nresponse 1"),
                        step("GET /3 HTTP/1.1\r\nHost: t\r\nContent-Length: 38\r\n\r\nthis must be delivered, like it or not",
                                "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nresponse 3")),
                keepOpen("chunked-request-body", HAPROXY + "(a chunked request body, chunks of several sizes)", 1,
                        step("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        + "1\r\na\r\n1f\r\n" + "b".repeat(31) + "\r\n0\r\n\r\n",
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
                                        + "4\r\ndone\r\n0\r\n\r\n")),
                keepOpen("oversized-head", "envoy test/integration/protocol_integration_test.cc LargeRequestHeadersRejected", 0,
                        step("GET / HTTP/1.1\r\nX-Big: " + "b".repeat(70_000) + "\r\n\r\n",
                                "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n")),
                keepOpen("tls-client-hello", LINKERD + "tcp_connections (TLS bytes on a port that is not TLS-terminated)", 0,
                        new Step(tlsHello, ascii("\u0016\u0003\u0003 server hello"))),
                keepOpen("http2-prior-knowledge", LINKERD + "http2 prior knowledge (RFC 9113 section 3.4 preface)", 0,
                        step("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0000\u0004\u0000\u0000\u0000\u0000\u0000",
                                "\u0000\u0000\u0000\u0004\u0000\u0000\u0000\u0000\u0000")));
    }

    static Stream<Arguments> runs() {
        List<Arguments> all = new ArrayList<>();
        for (Setup s : Setup.values()) {
            for (Case c : cases()) {
                all.add(Arguments.of(s, c));
            }
        }
        return all.stream();
    }

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

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runs")
    void theClientGetsExactlyTheServersBytesAndTheServerTheClients(Setup setup, Case c) throws Exception {
        server = new ServerSocket(0, 50, SERVER_ADDRESS);
        InetSocketAddress original = new InetSocketAddress(SERVER_ADDRESS, server.getLocalPort());
        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> serve(c), r -> Thread.ofVirtual().start(r));
        listener = TestProxies.startTransparent(
                setup.httpPorts ? Map.of("NETRA_HTTP_PORTS", String.valueOf(original.getPort())) : Map.of(),
                metrics, original, setup.routing);

        ByteArrayOutputStream got = new ByteArrayOutputStream();
        boolean closedAfter;
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), TestProxies.address(listener).getPort())) {
            client.setSoTimeout(PATIENCE_MILLIS);
            InputStream in = client.getInputStream();
            for (Step s : c.steps()) {
                client.getOutputStream().write(s.client());
                got.writeBytes(readExactly(in, s.server().length));
            }
            if (!c.closes()) {
                client.shutdownOutput(); // and the server, seeing it, closes
            }
            closedAfter = endOfStream(in);
        }
        assertEquals(text(concat(c.steps(), true)), text(received.get(2 * PATIENCE_MILLIS, TimeUnit.MILLISECONDS)),
                c.source() + ": what the server received");
        assertEquals(text(concat(c.steps(), false)), text(got.toByteArray()), c.source() + ": what the client received");
        assertTrue(closedAfter, c.source() + ": the client is told the connection ended");
        assertTrue(listener.awaitDrained(Duration.ofSeconds(5)));
        assertEquals(c.completed(), metrics.exchangeCount(Direction.OUTBOUND, Exchange.End.COMPLETE),
                c.source() + ": exchanges counted");
    }

    /** The server's side of a case: answers each step once it has the step's bytes; returns all it received. */
    private byte[] serve(Case c) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (Socket s = server.accept()) {
            s.setSoTimeout(PATIENCE_MILLIS);
            InputStream in = s.getInputStream();
            for (Step step : c.steps()) {
                got.writeBytes(readExactly(in, step.client().length));
                s.getOutputStream().write(step.server());
            }
            if (c.closes()) {
                s.shutdownOutput();
            }
            byte[] rest = in.readAllBytes(); // until the client's end reaches here
            got.writeBytes(rest);
        } catch (IOException e) {
            got.writeBytes(ascii("<" + e + ">"));
        }
        return got.toByteArray();
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        try {
            while (off < n) {
                int r = in.read(b, off, n - off);
                if (r < 0) {
                    break;
                }
                off += r;
            }
        } catch (SocketTimeoutException e) {
            // what came is what the assertion sees
        }
        return java.util.Arrays.copyOf(b, off);
    }

    private static boolean endOfStream(InputStream in) throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private static byte[] concat(List<Step> steps, boolean client) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        steps.forEach(s -> out.writeBytes(client ? s.client() : s.server()));
        return out.toByteArray();
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static InetAddress loopback2() {
        try {
            return InetAddress.getByName("127.0.0.2"); // not the listener's address: connections are outbound
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
