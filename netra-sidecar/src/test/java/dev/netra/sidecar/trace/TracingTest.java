package dev.netra.sidecar.trace;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.http2.H2;
import dev.netra.sidecar.http2.Http2Connection;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http2.hpack.HpackEncoder;
import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TracingTest {
    private static final String PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_SPAN = "00f067aa0ba902b7";
    private static final Pattern TRACEPARENT = Pattern.compile("traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\r\n");

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private Tracing tracing;

    @AfterEach
    void close() {
        tracing.close();
        timer.shutdownNow();
    }

    private Tracing tracing(Map<String, String> env) {
        tracing = new Tracing(SidecarConfig.from(env, List.of("--service-name", "svc")),
                SpanCounters.register(new PrometheusRegistry()), timer, exporter);
        return tracing;
    }

    /** One exchange through the framers with tracing's edits and listener; returns what the upstream got. */
    private String play(Direction direction, String request, String response) throws IOException {
        HttpSettings settings = new HttpSettings(65536, new RequestIdEdits("X-Request-Id", "X-Source", "netra").andThen(tracing.edits()),
                tracing.listener(), (d, r) -> { });
        HttpSession s = new HttpSession(1, direction, new InetSocketAddress("10.1.1.1", 40000),
                new InetSocketAddress("10.1.1.2", 8080), settings, false);
        s.decide(dev.netra.sidecar.detect.Protocol.HTTP1); // what the detect stage does
        ByteArrayOutputStream upstream = new ByteArrayOutputStream();
        s.requests(Channels.newChannel(upstream)).forward(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
        if (response != null) {
            s.responses(Channels.newChannel(new ByteArrayOutputStream()))
                    .forward(ByteBuffer.wrap(response.getBytes(StandardCharsets.ISO_8859_1)));
        }
        s.close(Exchange.End.UPSTREAM_GONE);
        return upstream.toString(StandardCharsets.ISO_8859_1);
    }

    private List<SpanData> spans(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (exporter.getFinishedSpanItems().size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        tracing.flush(); // a span beyond the n expected would be seen too
        return exporter.getFinishedSpanItems();
    }

    @Test
    void theClientAddressIsMadeIntoTextOncePerConnectionNotPerSpan() throws Exception {
        tracing(Map.of());
        HttpSettings settings = new HttpSettings(65536, tracing.edits(),
                tracing.listener(), (d, r) -> { });
        HttpSession s = new HttpSession(1, Direction.OUTBOUND, new InetSocketAddress("10.1.1.1", 40000),
                new InetSocketAddress("10.1.1.2", 8080), settings, false);
        s.decide(dev.netra.sidecar.detect.Protocol.HTTP1); // what the detect stage does
        var requests = s.requests(Channels.newChannel(new ByteArrayOutputStream()));
        var responses = s.responses(Channels.newChannel(new ByteArrayOutputStream()));
        for (int i = 0; i < 2; i++) {
            requests.forward(ByteBuffer.wrap("GET /a HTTP/1.1\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
            responses.forward(ByteBuffer.wrap("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        }
        s.close(Exchange.End.UPSTREAM_GONE);
        List<SpanData> spans = spans(2);
        assertEquals(2, spans.size());
        Map<String, Object> first = attributes(spans.get(0));
        Map<String, Object> second = attributes(spans.get(1));
        assertEquals("10.1.1.1:40000", first.get("remote_addr"));
        assertEquals("10.1.1.1", first.get("network.peer.address"));
        assertSame(first.get("remote_addr"), second.get("remote_addr"), "one string for the connection");
        assertSame(first.get("network.peer.address"), second.get("network.peer.address"), "one string for the connection");
    }

    @Test
    void aHugeRequestIdIsForwardedButNotRemembered() throws Exception {
        tracing(Map.of());
        String id = "r".repeat(60 * 1024);
        for (int i = 0; i < 50; i++) {
            String forwarded = play(Direction.INBOUND, "GET /a HTTP/1.1\r\nHost: a\r\nX-Request-Id: " + id + i + "\r\n\r\n",
                    "HTTP/1.1 204 No Content\r\n\r\n");
            assertTrue(forwarded.contains("X-Request-Id: " + id + i + "\r\n"), "the id passes unchanged");
        }
        assertEquals(0, tracing.storedContexts(), "no 60 KB key is kept");
        assertEquals(50, tracing.contexts().skipped());
        play(Direction.INBOUND, "GET /a HTTP/1.1\r\nHost: a\r\nX-Request-Id: short\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n");
        assertEquals(1, tracing.storedContexts(), "an ordinary id is kept");
    }

    @Test
    void inboundSpanIsAChildOfTheW3cParentAndItsContextIsForwarded() throws Exception {
        tracing(Map.of());
        String forwarded = play(Direction.INBOUND, "GET /orders/1?x=2 HTTP/1.1\r\nHost: shop:8080\r\nUser-Agent: curl/8\r\n"
                + "traceparent: 00-" + PARENT_TRACE + "-" + PARENT_SPAN + "-01\r\nX-Request-Id: r-1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        SpanData span = spans(1).getFirst();
        assertEquals(SpanKind.SERVER, span.getKind());
        assertEquals("/orders/1", span.getName());
        assertEquals(PARENT_TRACE, span.getTraceId());
        assertEquals(PARENT_SPAN, span.getParentSpanId());
        Matcher m = TRACEPARENT.matcher(forwarded);
        assertTrue(m.find(), forwarded);
        assertEquals(PARENT_TRACE, m.group(1));
        assertEquals(span.getSpanId(), m.group(2), "the app sees netra's span as its parent");
        assertFalse(m.find(), "one traceparent, not two");
        assertTrue(forwarded.contains("uber-trace-id: " + PARENT_TRACE + ":" + span.getSpanId() + ":0:1\r\n"), forwarded);

        Map<String, Object> a = attributes(span);
        assertEquals("server", a.get("span.kind"));
        assertEquals("10.1.1.1:40000", a.get("remote_addr"));
        assertEquals("shop:8080", a.get("http.host"));
        assertEquals("/orders/1", a.get("http.path"));
        assertEquals("GET", a.get("http.method"));
        assertEquals(200L, a.get("http.status_code"));
        assertEquals(2L, a.get("http.response_size"));
        assertEquals("curl/8", a.get("http.user_agent"));
        assertEquals("r-1", a.get("http.request_id"));
        assertEquals("GET", a.get("http.request.method"));
        assertEquals("/orders/1", a.get("url.path"));
        assertEquals("shop", a.get("server.address"));
        assertEquals(8080L, a.get("server.port"));
        assertEquals("10.1.1.1", a.get("network.peer.address"));
        assertEquals("1.1", a.get("network.protocol.version"));
        assertEquals(200L, a.get("http.response.status_code"));
        assertEquals("curl/8", a.get("user_agent.original"));
        assertFalse(a.containsKey("url.query"), "only when NETRA_TRACING_URL_QUERY=true");
        assertEquals("svc", span.getResource().getAttribute(AttributeKey.stringKey("service.name")));
        assertEquals("netra", span.getInstrumentationScopeInfo().getName());
        assertTrue(span.hasEnded() && span.getEndEpochNanos() >= span.getStartEpochNanos(), span.toString());
        assertTrue(Math.abs(span.getStartEpochNanos() / 1_000_000 - System.currentTimeMillis()) < 60_000, "wall-clock start");
        assertEquals(StatusCode.UNSET, span.getStatus().getStatusCode());
    }

    @Test
    void outboundRequestWithTheSameRequestIdBecomesAChildOfTheInboundSpan() throws Exception {
        tracing(Map.of());
        play(Direction.INBOUND, "GET /in HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        play(Direction.OUTBOUND, "GET /next HTTP/1.1\r\nHost: b:9000\r\nX-Request-Id: abc\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        List<SpanData> spans = spans(2);
        SpanData server = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
        SpanData client = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
        assertEquals(server.getTraceId(), client.getTraceId());
        assertEquals(server.getSpanId(), client.getParentSpanId());
        assertEquals("b:9000/next", client.getName(), "netramesh's outbound name: host + path");
    }

    @Test
    void errorsAreMarked() throws Exception {
        tracing(Map.of());
        play(Direction.INBOUND, "GET /boom HTTP/1.1\r\n\r\n", "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
        play(Direction.INBOUND, "GET /lost HTTP/1.1\r\n\r\n", null);
        List<SpanData> spans = spans(2);
        SpanData boom = spans.stream().filter(s -> s.getName().equals("/boom")).findFirst().orElseThrow();
        assertEquals(StatusCode.ERROR, boom.getStatus().getStatusCode());
        assertEquals(true, attributes(boom).get("error"));
        SpanData lost = spans.stream().filter(s -> s.getName().equals("/lost")).findFirst().orElseThrow();
        assertEquals(StatusCode.ERROR, lost.getStatus().getStatusCode());
        assertEquals("no response: upstream_gone", lost.getStatus().getDescription());
    }

    @Test
    void ignoredPathsTagMapsQueryAndOtelNames() throws Exception {
        tracing(Map.of("NETRA_HTTP_TRACING_IGNORED_PATHS", "/health", "HTTP_HEADER_TAG_MAP", "x-session:http.session",
                "HTTP_COOKIE_TAG_MAP", "sess:http.cookies.sess", "NETRA_TRACING_SPAN_NAMES", "otel",
                "NETRA_TRACING_URL_QUERY", "true", "NETRA_TRACING_ATTRIBUTES", "otel"));
        String health = play(Direction.INBOUND, "GET /health HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertFalse(health.contains("traceparent"));
        play(Direction.INBOUND, "POST /p?q=1 HTTP/1.1\r\nX-Session: s-9\r\nCookie: a=1; sess=xyz\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        List<SpanData> spans = spans(1);
        assertEquals(1, spans.size(), "no span for /health");
        SpanData s = spans.getFirst();
        assertEquals("POST", s.getName());
        Map<String, Object> a = attributes(s);
        assertEquals("s-9", a.get("http.session"));
        assertEquals("xyz", a.get("http.cookies.sess"));
        assertEquals("q=1", a.get("url.query"));
        assertFalse(a.containsKey("http.path"), "netramesh attributes off");
    }

    @Test
    void aSpanSettingEveryAttributeDropsNone() throws Exception {
        tracing(Map.of("HTTP_HEADER_TAG_MAP", "x-session:http.session", "HTTP_COOKIE_TAG_MAP", "sess:http.cookies.sess",
                "NETRA_TRACING_URL_QUERY", "true", "NETRA_TRACING_ATTRIBUTES", "both"));
        // a gRPC call with a query, answered 500 with a status (trailers-only, not ending the stream), then reset
        HpackEncoder ce = H2.encoder();
        byte[] request = H2.encode(ce, H2.request("POST", "b:9000", "/pkg.Svc/Get?q=1", HttpFields.build()
                .add("content-type", "application/grpc").add("user-agent", "t/1").add("x-request-id", "r-1")
                .add("x-session", "s-9").add("cookie", "sess=xyz")));
        byte[] response = H2.encode(H2.encoder(), H2.response(500, HttpFields.build().add("grpc-status", "13")));
        playHttp2(Direction.OUTBOUND, H2.concat(H2.PREFACE, H2.frame(H2.HEADERS, H2.END_HEADERS, 1, request),
                        H2.frame(H2.DATA, H2.END_STREAM, 1, new byte[] {0, 0, 0, 0, 0})),
                H2.concat(H2.frame(H2.HEADERS, H2.END_HEADERS, 1, response), H2.frame(H2.RST_STREAM, 0, 1, new byte[] {0, 0, 0, 2})));
        SpanData s = spans(1).getFirst();
        assertEquals(Tracing.BUILT_IN_ATTRIBUTES + 2, s.getAttributes().size(), attributes(s).keySet().toString());
        assertEquals(s.getAttributes().size(), s.getTotalAttributeCount(), "an attribute was dropped");
    }

    @Test
    void aGrpcCallIsAnRpcSpanWithItsStatus() throws Exception {
        tracing(Map.of("NETRA_TRACING_SPAN_NAMES", "otel"));
        HpackEncoder ce = H2.encoder();
        HpackEncoder se = H2.encoder();
        byte[] client = H2.PREFACE;
        byte[] server = new byte[0];
        int[] statuses = {0, 5, 14};
        for (int i = 0; i < statuses.length; i++) {
            int stream = 1 + 2 * i;
            byte[] request = H2.encode(ce, H2.request("POST", "greeter:50051", "/helloworld.Greeter/SayHello",
                    HttpFields.build().add("content-type", "application/grpc").add("te", "trailers")));
            client = H2.concat(client, H2.frame(H2.HEADERS, H2.END_HEADERS, stream, request),
                    H2.frame(H2.DATA, H2.END_STREAM, stream, new byte[] {0, 0, 0, 0, 0}));
            byte[] head = H2.encode(se, H2.response(200, HttpFields.build().add("content-type", "application/grpc")));
            byte[] trailers = H2.encode(se, H2.trailers(HttpFields.build().add("grpc-status", String.valueOf(statuses[i]))));
            server = H2.concat(server, H2.frame(H2.HEADERS, H2.END_HEADERS, stream, head),
                    H2.frame(H2.HEADERS, H2.END_HEADERS | H2.END_STREAM, stream, trailers));
        }
        String sent = playHttp2(Direction.INBOUND, client, server);
        assertTrue(sent.contains("traceparent"), "the context went to the app in the request's header block");
        List<SpanData> spans = spans(3);
        for (int i = 0; i < statuses.length; i++) {
            SpanData span = spans.get(i);
            Map<String, Object> a = attributes(span);
            assertEquals("helloworld.Greeter/SayHello", span.getName());
            assertEquals(SpanKind.SERVER, span.getKind());
            assertEquals("grpc", a.get("rpc.system"));
            assertEquals("helloworld.Greeter", a.get("rpc.service"));
            assertEquals("SayHello", a.get("rpc.method"));
            assertEquals((long) statuses[i], a.get("rpc.grpc.status_code"));
            assertEquals("2", a.get("network.protocol.version"));
        }
        assertEquals(StatusCode.UNSET, spans.get(0).getStatus().getStatusCode());
        assertEquals(StatusCode.UNSET, spans.get(1).getStatus().getStatusCode(), "NOT_FOUND is the caller's fault, not the server's");
        assertEquals(StatusCode.ERROR, spans.get(2).getStatus().getStatusCode(), "UNAVAILABLE is an error on a server span");
    }

    /** Plays HTTP/2 bytes through a session's two HTTP/2 framers; returns what went upstream, as ISO-8859-1 text. */
    private String playHttp2(Direction direction, byte[] client, byte[] server) throws IOException {
        HttpSettings settings = new HttpSettings(65536, new RequestIdEdits("X-Request-Id", "X-Source", "netra").andThen(tracing.edits()),
                tracing.listener(), (d, r) -> { });
        HttpSession s = new HttpSession(1, direction, new InetSocketAddress("10.1.1.1", 40000),
                new InetSocketAddress("10.1.1.2", 50051), settings, false);
        s.decide(dev.netra.sidecar.detect.Protocol.HTTP2);
        Http2Connection h2 = new Http2Connection(s);
        ByteArrayOutputStream upstream = new ByteArrayOutputStream();
        var requests = h2.requests(Channels.newChannel(upstream));
        var responses = h2.responses(Channels.newChannel(new ByteArrayOutputStream()));
        requests.forward(ByteBuffer.wrap(client));
        responses.forward(ByteBuffer.wrap(server));
        s.close(Exchange.End.CLIENT_GONE);
        return upstream.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void jaegerAndB3ParentsAreHonouredAndKeptCurrent() throws Exception {
        tracing(Map.of());
        String jaeger = play(Direction.OUTBOUND, "GET / HTTP/1.1\r\nuber-trace-id: " + PARENT_TRACE + ":" + PARENT_SPAN + ":0:1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        String b3 = play(Direction.OUTBOUND, "GET / HTTP/1.1\r\nX-B3-TraceId: " + PARENT_TRACE + "\r\nX-B3-SpanId: " + PARENT_SPAN
                + "\r\nX-B3-Sampled: 1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        List<SpanData> spans = spans(2);
        for (SpanData s : spans) {
            assertEquals(PARENT_TRACE, s.getTraceId());
            assertEquals(PARENT_SPAN, s.getParentSpanId());
        }
        assertEquals(1, count(jaeger, "uber-trace-id: "), jaeger);
        assertFalse(jaeger.contains(":" + PARENT_SPAN + ":0:1"), "the stale uber-trace-id is replaced");
        assertEquals(1, count(b3.toLowerCase(), "x-b3-spanid: "), b3);
        assertFalse(b3.contains("X-B3-SpanId: " + PARENT_SPAN), "the stale B3 span id is replaced");
    }

    @Test
    void samplingOffExportsNothingButStillPropagates() throws Exception {
        tracing(Map.of("JAEGER_SAMPLER_TYPE", "const", "JAEGER_SAMPLER_PARAM", "0"));
        String forwarded = play(Direction.INBOUND, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        Matcher m = TRACEPARENT.matcher(forwarded);
        assertTrue(m.find(), forwarded);
        assertEquals(0, Integer.parseInt(m.group(3), 16) & 1, "not sampled");
        tracing.flush();
        assertEquals(0, exporter.getFinishedSpanItems().size());
    }

    @Test
    void theRequestIdStoreStaysWithinItsBound() throws Exception {
        tracing(Map.of("NETRA_TRACING_CONTEXT_MAX_ENTRIES", "100"));
        for (int i = 0; i < 1000; i++) {
            play(Direction.INBOUND, "GET / HTTP/1.1\r\nX-Request-Id: id-" + i + "\r\n\r\n", "HTTP/1.1 204 No\r\n\r\n");
        }
        assertEquals(100, tracing.storedContexts());
    }

    @Test
    void jaegerDatagramsStayUnderTheUdpLimit() throws Exception {
        tracing(Map.of());
        for (int i = 0; i < 400; i++) {
            play(Direction.INBOUND, "GET /" + "p".repeat(200) + i + " HTTP/1.1\r\n\r\n", "HTTP/1.1 204 No\r\n\r\n");
        }
        List<SpanData> spans = spans(400);
        List<byte[]> datagrams = new JaegerUdpExporter("127.0.0.1:6831").datagrams(spans);
        assertTrue(datagrams.size() > 1, "split into several datagrams");
        for (byte[] d : datagrams) {
            assertTrue(d.length <= JaegerUdpExporter.MAX_DATAGRAM, "datagram of " + d.length);
            assertEquals((byte) 0x82, d[0], "compact protocol");
            assertEquals((byte) 0x81, d[1], "version 1, oneway");
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static Map<String, Object> attributes(SpanData s) {
        Map<String, Object> m = new HashMap<>();
        s.getAttributes().forEach((k, v) -> m.put(k.getKey(), v));
        assertNotNull(m);
        return m;
    }
}
