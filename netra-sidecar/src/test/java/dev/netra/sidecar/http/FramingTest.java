package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

import static dev.netra.sidecar.http.Harness.ascii;
import static dev.netra.sidecar.http.Harness.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conversations fed at every split point, one byte at a time and all at once: the bytes come
 * out unchanged and every exchange is seen with the right framing.
 */
class FramingTest {

    /** A conversation: what the client sends, what the server answers, what must be seen. */
    record Conversation(String name, String client, String server, List<Integer> statuses, List<Long> responseBodies) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Conversation> conversations() {
        return Stream.of(
                new Conversation("keep-alive, two requests pipelined",
                        "GET /a?x=1 HTTP/1.1\r\nHost: svc\r\n\r\nGET /b HTTP/1.1\r\nHost: svc\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
                        List.of(200, 404), List.of(5L, 0L)),
                new Conversation("chunked both ways, extensions and trailers",
                        "POST /up HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "5;name=\"v\"\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
                        "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                                + "A\r\n0123456789\r\n0\r\nTrailer-A: x\r\nTrailer-B: y\r\n\r\n",
                        List.of(201), List.of(10L)),
                new Conversation("odd but legal spacing and case",
                        "GET / HTTP/1.1\r\nhOsT:svc   \r\nX-Empty:\r\nx-Tab:\ta\tb\t\r\n\r\n",
                        "HTTP/1.1 200 \r\nCONTENT-LENGTH:   3  \r\n\r\nabc",
                        List.of(200), List.of(3L)),
                new Conversation("HEAD gets no body despite Content-Length",
                        "HEAD /big HTTP/1.1\r\nHost: svc\r\n\r\nGET /small HTTP/1.1\r\nHost: svc\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                        List.of(200, 200), List.of(0L, 2L)),
                new Conversation("100-continue then the final response",
                        "PUT /f HTTP/1.1\r\nHost: svc\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
                        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                                + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                        List.of(200), List.of(0L)),
                new Conversation("204 and 304 have no body",
                        "DELETE /x HTTP/1.1\r\nHost: svc\r\n\r\nGET /y HTTP/1.1\r\nHost: svc\r\nIf-None-Match: \"e\"\r\n\r\n",
                        "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n",
                        List.of(204, 304), List.of(0L, 0L)),
                new Conversation("HTTP/1.0 with a close-delimited response",
                        "GET /old HTTP/1.0\r\n\r\n",
                        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the connection closes",
                        List.of(200), List.of(27L)),
                new Conversation("websocket upgrade, frames both ways",
                        "GET /ws HTTP/1.1\r\nHost: svc\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
                                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                                + "\u0081\u0085\u0037\u00fa\u0021\u003d\u007f\u009f\u004d\u0051\u0058",
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                                + "\u0081\u0005Hello GET / HTTP/1.1\r\n\r\n",
                        List.of(101), List.of(0L)),
                new Conversation("CONNECT tunnel",
                        "CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n\u0016\u0003\u0001binary\u0000\r\n\r\n",
                        "HTTP/1.1 200 Connection Established\r\n\r\n\u0016\u0003\u0003server-bytes HTTP/1.1 500\r\n\r\n",
                        List.of(200), List.of(0L)),
                new Conversation("refused upgrade: parsing goes on",
                        "GET /ws HTTP/1.1\r\nHost: svc\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno",
                        List.of(200), List.of(2L)),
                new Conversation("bare LF line ends",
                        "GET / HTTP/1.1\nHost: svc\n\n",
                        "HTTP/1.1 200 OK\nContent-Length: 1\n\nx",
                        List.of(200), List.of(1L)));
    }

    static Stream<Arguments> conversationsAndSplits() {
        return conversations().flatMap(c -> Stream.of(Arguments.of(c, "whole"), Arguments.of(c, "bytewise"),
                Arguments.of(c, "every split")));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("conversationsAndSplits")
    void bytesPassUnchangedAndExchangesAreSeen(Conversation c, String feeding) throws IOException {
        byte[] client = ascii(c.client());
        byte[] server = ascii(c.server());
        if (feeding.equals("every split")) {
            for (int i = 0; i <= client.length; i++) {
                check(c, run(c, client, server, new int[] {i}, new int[] {Math.min(i, server.length)}, false));
            }
        } else {
            check(c, run(c, client, server, new int[0], new int[0], feeding.equals("bytewise")));
        }
    }

    private static Harness run(Conversation c, byte[] client, byte[] server, int[] clientSplits, int[] serverSplits,
                               boolean bytewise) throws IOException {
        Harness h = Harness.transparent();
        if (bytewise) {
            h.clientBytewise(client);
            h.serverBytewise(server);
        } else {
            h.client(client, clientSplits);
            h.server(server, serverSplits);
        }
        h.endOfStreams();
        h.session.close(Exchange.End.CLIENT_GONE);
        return h;
    }

    private static void check(Conversation c, Harness h) {
        assertEquals(c.client(), str(h.toUpstream), "request bytes");
        assertEquals(c.server(), str(h.toClient), "response bytes");
        assertEquals(List.of(), h.fallbacks, "no fallback");
        assertEquals(c.statuses().size(), h.exchanges.size(), h.exchanges.toString());
        for (int i = 0; i < h.exchanges.size(); i++) {
            Exchange e = h.exchanges.get(i);
            assertEquals(c.statuses().get(i), e.status(), e.toString());
            assertEquals(Exchange.End.COMPLETE, e.end(), e.toString());
            assertEquals(c.responseBodies().get(i), e.responseBodyBytes(), e.toString());
        }
    }

    @Test
    void exchangeRecordCarriesWhatListenersNeed() throws IOException {
        Harness h = Harness.transparent();
        h.client(ascii("POST /p/q?debug=1 HTTP/1.1\r\nHost: api:8080\r\nUser-Agent: t/1\r\nContent-Length: 3\r\n\r\nabc"));
        h.server(ascii("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nRetry-After: 1\r\n\r\nbusy"));
        Exchange e = h.exchanges.getFirst();
        assertEquals("POST", e.method());
        assertEquals("/p/q", e.path());
        assertEquals("debug=1", e.query());
        assertEquals("api:8080", e.host());
        assertEquals("1.1", e.version());
        assertEquals("t/1", e.requestHeader("user-agent"));
        assertEquals("1", e.responseHeader("Retry-After"));
        assertEquals(3, e.requestBodyBytes());
        assertEquals(4, e.responseBodyBytes());
        assertEquals(503, e.status());
        assertTrue(e.requestHeadNanos() <= e.requestEndNanos());
        assertTrue(e.requestEndNanos() <= e.responseHeadNanos());
        assertTrue(e.responseHeadNanos() <= e.responseEndNanos());
    }

    @Test
    void headAndBodyReadTogetherLeaveInOneWrite() throws IOException {
        Harness h = new Harness(Direction.OUTBOUND, new RequestIdEdits("X-Request-Id", "X-Source", "netra"), true);
        h.maxPerCall = Integer.MAX_VALUE;
        h.client(ascii("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"));
        h.server(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
        // one segment each way: a head written apart from its body costs the peer a second wake-up
        assertEquals(1, h.upstreamChannel.calls);
        assertEquals(1, h.clientChannel.calls);
        assertTrue(str(h.toUpstream).endsWith("\r\n\r\nabc"), str(h.toUpstream));
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", str(h.toClient));
        // a head whose body comes in a later read is not held back waiting for it
        h.server(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"));
        assertTrue(str(h.toClient).endsWith("Content-Length: 2\r\n\r\n"));
    }

    @Test
    void manyHeadersGrowTheParserAndTooManyGoOpaque() throws IOException {
        StringBuilder many = new StringBuilder("GET /many HTTP/1.1\r\nHost: svc\r\n");
        for (int i = 0; i < 200; i++) {
            many.append("X-H").append(i).append(": v").append(i).append("\r\n");
        }
        String request = many.append("X-Last: yes\r\n\r\n").toString();
        Harness h = Harness.transparent();
        h.client(ascii(request));
        h.server(ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(request, str(h.toUpstream));
        assertEquals("yes", h.exchanges.getFirst().requestHeader("x-last"));
        assertTrue(h.fallbacks.isEmpty(), h.fallbacks.toString());

        StringBuilder tooMany = new StringBuilder("GET /too-many HTTP/1.1\r\n");
        for (int i = 0; i <= HttpHead.MAX_HEADERS; i++) {
            tooMany.append("X-H").append(i).append(": v\r\n");
        }
        String refused = tooMany.append("\r\n").toString();
        Harness h2 = Harness.transparent();
        h2.client(ascii(refused));
        assertEquals(refused, str(h2.toUpstream));
        assertEquals(List.of("too many headers"), h2.fallbacks);
    }

    @Test
    void requestsWithoutResponseAreReportedWithHowTheyEnded() throws IOException {
        Harness h = Harness.transparent();
        h.client(ascii("GET /slow HTTP/1.1\r\nHost: svc\r\n\r\n"));
        h.session.close(Exchange.End.UPSTREAM_GONE);
        assertEquals(1, h.exchanges.size());
        assertEquals(Exchange.End.UPSTREAM_GONE, h.exchanges.getFirst().end());
        assertEquals(0, h.exchanges.getFirst().status());
    }

    @Test
    void requestIdIsAddedWhenMissingAndXSourceOverwrittenOnOutbound() throws IOException {
        Harness h = new Harness(Direction.OUTBOUND, new RequestIdEdits("X-Request-Id", "X-Source", "netra"), true);
        h.client(ascii("GET / HTTP/1.1\r\nHost: a\r\nx-source: app\r\nAccept: */*\r\nX-SOURCE: again\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: a\r\nx-request-id: abc\r\n\r\n"));
        String out = str(h.toUpstream);
        String first = out.substring(0, out.indexOf("\r\n\r\n") + 4);
        assertTrue(first.matches("GET / HTTP/1\\.1\r\nHost: a\r\nx-source: netra\r\nAccept: \\*/\\*\r\n"
                + "X-Request-Id: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\r\n\r\n"), first);
        assertEquals("GET /2 HTTP/1.1\r\nHost: a\r\nx-request-id: abc\r\nX-Source: netra\r\n\r\n", out.substring(first.length()));
        String added = first.substring(first.indexOf("X-Request-Id: ") + 14, first.indexOf("X-Request-Id: ") + 50);
        assertEquals(added, h.session.startResponse().requestId(), "the exchange knows the id netra added");
        assertEquals("abc", h.session.startResponse().requestId(), "and the one the app sent");
    }

    @Test
    void inboundRequestsGetNoXSource() throws IOException {
        Harness h = new Harness(Direction.INBOUND, new RequestIdEdits("X-Request-Id", "X-Source", "netra"), true);
        h.client(ascii("GET / HTTP/1.1\r\nX-Request-Id: r1\r\n\r\n"));
        assertEquals("GET / HTTP/1.1\r\nX-Request-Id: r1\r\n\r\n", str(h.toUpstream));
    }

    static Stream<Arguments> unparseable() {
        return Stream.of(
                Arguments.of("header without colon", "GET / HTTP/1.1\r\nHost svc\r\n\r\nmore bytes", "bad header name"),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\nHost : svc\r\n\r\n", "bad header name"),
                Arguments.of("obs-fold", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", "obsolete line folding"),
                Arguments.of("HTTP/2 version", "GET / HTTP/2.0\r\n\r\n", "bad version"),
                Arguments.of("CL and TE", "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        "both content-length and transfer-encoding"),
                Arguments.of("two lengths", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "bad content-length"),
                Arguments.of("TE not chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx", "request transfer-encoding not chunked"),
                Arguments.of("bad chunk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", "bad chunk size"),
                Arguments.of("bare CR", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "bare CR"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unparseable")
    void whatCannotBeParsedGoesOnRawWithNothingLost(String name, String request, String reason) throws IOException {
        Harness h = Harness.transparent();
        h.client(ascii(request));
        h.client(ascii("\u0000\u00ffrest of the stream"));
        h.server(ascii("HTTP/1.1 400 Bad Request\r\n\r\nanything"));
        h.endOfStreams();
        assertEquals(request + "\u0000\u00ffrest of the stream", str(h.toUpstream));
        assertEquals("HTTP/1.1 400 Bad Request\r\n\r\nanything", str(h.toClient));
        assertEquals(List.of(reason), h.fallbacks);
    }

    @Test
    void anOversizedHeaderBlockGoesRaw() throws IOException {
        Harness h = new Harness(Direction.INBOUND, (hd, e, ed) -> { }, true, 1024);
        String big = "GET / HTTP/1.1\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n";
        h.client(ascii(big), 100, 1500);
        assertEquals(big, str(h.toUpstream));
        assertEquals(List.of("header block too large"), h.fallbacks);
    }

    @Test
    void notHttpIsForwardedUntouched() throws IOException {
        Harness h = Harness.transparent();
        byte[] tls = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
        h.client(tls);
        h.server(ascii("GET / HTTP/1.1\r\n\r\n"));
        assertArrayEquals(tls, h.toUpstream.toByteArray());
        assertEquals("GET / HTTP/1.1\r\n\r\n", str(h.toClient));
        assertEquals(List.of(), h.exchanges);
        assertEquals(List.of(), h.fallbacks, "never HTTP: not a fallback");
    }

    @Test
    void serverSpeakingFirstMakesTheConnectionOpaque() throws IOException {
        Harness h = Harness.transparent();
        h.server(ascii("220 smtp ready\r\n"));
        h.client(ascii("GET / HTTP/1.1\r\n\r\n"));
        assertEquals("GET / HTTP/1.1\r\n\r\n", str(h.toUpstream));
        assertEquals(List.of(), h.exchanges);
        assertNull(h.session.peek());
    }

    @Test
    void heldBytesAreWrittenWhenTheStreamEnds() throws IOException {
        Harness h = Harness.transparent();
        h.client(ascii("GET /partial HTTP/1.1\r\nHos"));
        assertEquals("", str(h.toUpstream));
        h.requests.endOfStream();
        assertEquals("GET /partial HTTP/1.1\r\nHos", str(h.toUpstream));
    }
}
