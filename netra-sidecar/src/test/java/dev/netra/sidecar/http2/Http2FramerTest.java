package dev.netra.sidecar.http2;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HeadArrays;
import dev.netra.sidecar.http.HeaderEdits;
import dev.netra.sidecar.http.HeaderEditor.HeaderName;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.hpack.HpackDecoder;
import org.eclipse.jetty.http2.hpack.HpackEncoder;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.netra.sidecar.http2.H2.concat;
import static dev.netra.sidecar.http2.H2.encode;
import static dev.netra.sidecar.http2.H2.encoder;
import static dev.netra.sidecar.http2.H2.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/2 framers on frames a real HPACK encoder (Jetty's) wrote: every byte passes as it came
 * unless netra edits a request, whose header list then differs only by the appended fields, and
 * each stream is an exchange.
 */
class Http2FramerTest {
    static final byte[] PREFACE = H2.PREFACE;
    static final HeaderName TRACEPARENT = HeaderName.of("traceparent");
    static final HeaderName X_SOURCE = HeaderName.of("x-source");

    /** One session with both HTTP/2 framers, what they wrote, the exchanges and fallbacks they reported. */
    static final class Pair {
        final List<Exchange> exchanges = new ArrayList<>();
        /** Each exchange's request and response head as the listener read them (the arrays are reused afterwards). */
        private final List<String> heads = new ArrayList<>();
        final List<String> fallbacks = new ArrayList<>();
        final ByteArrayOutputStream toUpstream = new ByteArrayOutputStream();
        final ByteArrayOutputStream toClient = new ByteArrayOutputStream();
        final Forwarder requests;
        final Forwarder responses;
        final HttpSession session;
        final HeadArrays arrays = new HeadArrays();

        Pair(HeaderEdits edits) {
            this(edits, 64 * 1024);
        }

        Pair(HeaderEdits edits, int maxHeaderBytes) {
            HttpSettings settings = new HttpSettings(maxHeaderBytes, edits, this::exchanged,
                    (d, reason) -> fallbacks.add(reason), arrays);
            session = new HttpSession(1, Direction.OUTBOUND, new InetSocketAddress("10.0.0.1", 40000),
                    new InetSocketAddress("10.0.0.2", 50051), settings, true);
            session.decide(Protocol.HTTP2);
            Http2Connection h2 = new Http2Connection(session);
            requests = h2.requests(channel(toUpstream));
            responses = h2.responses(channel(toClient));
        }

        private void exchanged(Exchange e) {
            exchanges.add(e);
            for (ByteBuffer b : new ByteBuffer[] {e.requestHead(), e.responseHead()}) {
                if (b != null) {
                    byte[] bytes = new byte[b.remaining()];
                    b.get(bytes);
                    heads.add(new String(bytes, StandardCharsets.ISO_8859_1));
                }
            }
        }

        List<String> heads() {
            return heads;
        }

        void client(byte[] bytes, Random splits) throws IOException {
            feed(requests, bytes, splits);
        }

        void server(byte[] bytes, Random splits) throws IOException {
            feed(responses, bytes, splits);
        }

        void end() throws IOException {
            requests.endOfStream();
            responses.endOfStream();
            session.close(Exchange.End.CLIENT_GONE);
        }
    }

    static void feed(Forwarder f, byte[] bytes, Random splits) throws IOException {
        int p = 0;
        while (p < bytes.length) {
            int n = splits == null ? bytes.length : Math.min(bytes.length - p, 1 + splits.nextInt(40));
            ByteBuffer b = ByteBuffer.allocate(n + 8);
            b.position(3);
            b.put(bytes, p, n);
            b.flip().position(3);
            f.forward(b);
            assertFalse(b.hasRemaining(), "a forwarder consumes all it is given");
            p += n;
        }
    }

    static WritableByteChannel channel(ByteArrayOutputStream sink) {
        return new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = Math.min(src.remaining(), 5);
                byte[] b = new byte[n];
                src.get(b);
                sink.writeBytes(b);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    static MetaData.Request request(String method, String path, HttpFields.Mutable fields) {
        return H2.request(method, "greeter:50051", path, fields);
    }

    static HttpFields.Mutable grpcHeaders() {
        return HttpFields.build().add("content-type", "application/grpc").add("te", "trailers")
                .add("user-agent", "grpc-java/1.70");
    }

    /** A gRPC call: the client's preface, SETTINGS, a request with a body; the server's SETTINGS, response, trailers. */
    record Call(byte[] client, byte[] server) {
    }

    static Call unaryCall(HpackEncoder clientEncoder, HpackEncoder serverEncoder, int stream, int grpcStatus) throws Exception {
        byte[] headers = encode(clientEncoder, request("POST", "/helloworld.Greeter/SayHello", grpcHeaders()));
        byte[] client = concat(frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, stream, headers),
                frame(Http2Framer.DATA, Http2Framer.END_STREAM, stream, new byte[] {0, 0, 0, 0, 3, 10, 1, 'x'}));
        byte[] response = encode(serverEncoder, new MetaData.Response(200, null, HttpVersion.HTTP_2,
                HttpFields.build().add("content-type", "application/grpc")));
        byte[] trailers = encode(serverEncoder, new MetaData(HttpVersion.HTTP_2,
                HttpFields.build().add("grpc-status", String.valueOf(grpcStatus)).add("grpc-message", "no%20such")));
        byte[] server = concat(frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, stream, response),
                frame(Http2Framer.DATA, 0, stream, new byte[] {0, 0, 0, 0, 2, 10, 0}),
                frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, stream, trailers));
        return new Call(client, server);
    }

    static final byte[] SETTINGS = frame(Http2Framer.SETTINGS, 0, 0, new byte[] {0, 5, 0, 0, 0x40, 0}); // max frame 16384

    @Test
    void withoutEditsEveryByteIsForwardedAsItCameHoweverSplit() throws Exception {
        for (int seed = 0; seed < 50; seed++) {
            HpackEncoder ce = encoder();
            HpackEncoder se = encoder();
            Call first = unaryCall(ce, se, 1, 0);
            Call second = unaryCall(ce, se, 3, 5); // its fields come from both tables now
            byte[] client = concat(PREFACE, SETTINGS, first.client(), second.client(),
                    frame(Http2Framer.SETTINGS, Http2Framer.ACK, 0, new byte[0]),
                    frame(6, 0, 0, new byte[8]), frame(8, 0, 0, new byte[] {0, 0, 1, 0}));
            byte[] server = concat(SETTINGS, first.server(), second.server(), frame(7, 0, 0, new byte[] {0, 0, 0, 3, 0, 0, 0, 0}));
            Pair p = new Pair((h, e, ed) -> { });
            Random r = new Random(seed);
            p.client(client, seed == 0 ? null : r);
            p.server(server, seed == 0 ? null : r);
            p.end();
            assertArrayEquals(client, p.toUpstream.toByteArray(), "seed " + seed);
            assertArrayEquals(server, p.toClient.toByteArray(), "seed " + seed);
            assertEquals(List.of(), p.fallbacks);
            assertEquals(2, p.exchanges.size(), "seed " + seed);
            Exchange e = p.exchanges.get(0);
            assertEquals("POST", e.method());
            assertEquals("/helloworld.Greeter/SayHello", e.path());
            assertEquals("greeter:50051", e.host());
            assertEquals("2", e.version());
            assertEquals(200, e.status());
            assertEquals(0, e.grpcStatus());
            assertEquals("no%20such", e.grpcMessage());
            assertEquals(8, e.requestBodyBytes());
            assertEquals(7, e.responseBodyBytes());
            assertEquals(Exchange.End.COMPLETE, e.end());
            assertEquals("application/grpc", e.requestHeader("content-type"));
            assertEquals("application/grpc", e.responseHeader("content-type"));
            assertEquals(5, p.exchanges.get(1).grpcStatus());
        }
    }

    /** Decodes the header blocks of a stream of frames (after the preface when {@code preface}); every other frame is returned as bytes. */
    static List<Object> decodeFrames(byte[] bytes, boolean preface) throws Exception {
        HpackDecoder decoder = new HpackDecoder(1 << 20, System::nanoTime);
        List<Object> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (preface) {
            b.position(PREFACE.length);
        }
        ByteArrayOutputStream block = null;
        while (b.hasRemaining()) {
            int len = (b.get() & 0xff) << 16 | (b.get() & 0xff) << 8 | b.get() & 0xff;
            int type = b.get() & 0xff;
            int flags = b.get() & 0xff;
            int stream = b.getInt();
            byte[] payload = new byte[len];
            b.get(payload);
            if (type == Http2Framer.HEADERS || type == Http2Framer.CONTINUATION) {
                if (type == Http2Framer.HEADERS) {
                    block = new ByteArrayOutputStream();
                }
                block.writeBytes(payload);
                if ((flags & Http2Framer.END_HEADERS) != 0) {
                    MetaData md = decoder.decode(ByteBuffer.wrap(block.toByteArray()));
                    List<String> fields = new ArrayList<>();
                    if (md instanceof MetaData.Request r) {
                        fields.add(":method=" + r.getMethod());
                        fields.add(":path=" + r.getHttpURI().getPathQuery());
                    }
                    for (HttpField f : md.getHttpFields()) {
                        fields.add(f.getName() + "=" + f.getValue());
                    }
                    out.add("stream " + stream + " " + fields);
                }
            } else {
                out.add(Arrays.toString(Arrays.copyOf(bytes, 0)) + type + "/" + flags + "/" + stream + "/" + Arrays.toString(payload));
            }
        }
        return out;
    }

    @Test
    void editsAreAppendedAsLiteralFieldsAndBothTablesStayInStep() throws Exception {
        HeaderEdits edits = (head, e, editor) -> {
            editor.set(TRACEPARENT, "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01");
            editor.set(X_SOURCE, "frontend");
        };
        for (int seed = 0; seed < 30; seed++) {
            HpackEncoder ce = encoder();
            HpackEncoder se = encoder();
            Call first = unaryCall(ce, se, 1, 0);
            Call second = unaryCall(ce, se, 3, 0);
            byte[] client = concat(PREFACE, SETTINGS, first.client(), second.client());
            Pair p = new Pair(edits);
            p.client(client, seed == 0 ? null : new Random(seed));
            p.end();
            List<Object> sent = decodeFrames(client, true);
            List<Object> received = decodeFrames(p.toUpstream.toByteArray(), true);
            assertEquals(sent.size(), received.size());
            for (int i = 0; i < sent.size(); i++) {
                String s = sent.get(i).toString();
                if (s.startsWith("stream")) {
                    String withEdits = s.substring(0, s.length() - 1) + ", traceparent=00-" + "a".repeat(32) + "-"
                            + "b".repeat(16) + "-01, x-source=frontend]";
                    assertEquals(withEdits, received.get(i).toString(), "seed " + seed);
                } else {
                    assertEquals(s, received.get(i).toString());
                }
            }
            assertEquals(List.of(), p.fallbacks);
        }
    }

    @Test
    void aFieldTheAppSentWithoutIndexingIsReplacedOneInTheTableIsKept() throws Exception {
        HeaderEdits edits = (head, e, editor) -> editor.set(X_SOURCE, "netra");
        // :method POST (static 3), :scheme http (6), :path "/a" literal without indexing (name index 4)
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.writeBytes(new byte[] {(byte) 0x83, (byte) 0x86, 0x04, 2, '/', 'a', 0x01, 1, 'h'}); // :authority h (index 1, without indexing)
        byte[] withoutIndexing = concat(block.toByteArray(), new byte[] {0x00, 8}, "x-source".getBytes(StandardCharsets.US_ASCII),
                new byte[] {3}, "app".getBytes(StandardCharsets.US_ASCII));
        Pair p = new Pair(edits);
        p.client(concat(PREFACE, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, 1, withoutIndexing)), null);
        p.end();
        List<Object> received = decodeFrames(p.toUpstream.toByteArray(), true);
        assertEquals("stream 1 [:method=POST, :path=/a, x-source=netra]", received.get(0).toString());

        byte[] incremental = concat(block.toByteArray(), new byte[] {0x40, 8}, "x-source".getBytes(StandardCharsets.US_ASCII),
                new byte[] {3}, "app".getBytes(StandardCharsets.US_ASCII));
        Pair q = new Pair(edits);
        byte[] sent = concat(PREFACE, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, 1, incremental));
        q.client(sent, null);
        q.end();
        assertArrayEquals(sent, q.toUpstream.toByteArray(), "a field the receiver's table keeps cannot be taken out");
    }

    @Test
    void aBlockTooLargeForTheUpstreamsFrameGetsAContinuation() throws Exception {
        HeaderEdits edits = (head, e, editor) -> editor.set(TRACEPARENT, "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01");
        byte[] headers = new byte[0];
        for (int n = 16_000; headers.length <= 16_340; n += 4) { // a block that just fits 16384
            HttpFields.Mutable fields = grpcHeaders();
            fields.add("x-big", "v".repeat(n));
            headers = encode(encoder(), request("POST", "/s/m", fields));
        }
        assertTrue(headers.length <= 16_384 && headers.length > 16_340, "length " + headers.length);
        byte[] sent = concat(PREFACE, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, 1, headers));
        Pair p = new Pair(edits);
        p.client(sent, new Random(7));
        p.end();
        byte[] got = p.toUpstream.toByteArray();
        ByteBuffer b = ByteBuffer.wrap(got, PREFACE.length, got.length - PREFACE.length);
        int firstLength = (b.get() & 0xff) << 16 | (b.get() & 0xff) << 8 | b.get() & 0xff;
        assertEquals(Http2Framer.HEADERS, b.get());
        assertEquals(0, b.get() & Http2Framer.END_HEADERS, "the HEADERS frame no longer ends the block");
        assertTrue(firstLength <= 16_384);
        b.position(b.position() + 4 + firstLength);
        b.get();
        b.get();
        b.get();
        assertEquals(Http2Framer.CONTINUATION, b.get());
        assertEquals(Http2Framer.END_HEADERS, b.get());
        assertTrue(decodeFrames(got, true).get(0).toString().endsWith("traceparent=00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01]"));
    }

    @Test
    void aDynamicTableSizeUpdateIsFollowed() throws Exception {
        HpackEncoder ce = encoder();
        ce.setMaxTableCapacity(8192);
        ce.setTableCapacity(8192); // the next block starts with a size update to 8192
        byte[] first = encode(ce, request("GET", "/one", HttpFields.build().add("x-a", "1".repeat(5000))));
        byte[] second = encode(ce, request("GET", "/two", HttpFields.build().add("x-a", "1".repeat(5000))));
        assertTrue(second.length < 100, "the second block refers to the table: " + second.length);
        byte[] sent = concat(PREFACE, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, 1, first),
                frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, 3, second));
        Pair p = new Pair((h, e, ed) -> { });
        p.client(sent, new Random(3));
        p.end();
        assertArrayEquals(sent, p.toUpstream.toByteArray());
        assertEquals(List.of(), p.fallbacks);
        assertEquals(2, p.exchanges.size());
        assertEquals("1".repeat(5000), p.exchanges.get(1).requestHeader("x-a"));
    }

    @Test
    void aResetStreamEndsItsExchangeWithTheCode() throws Exception {
        HpackEncoder ce = encoder();
        byte[] headers = encode(ce, request("POST", "/s/m", grpcHeaders()));
        byte[] sent = concat(PREFACE, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, 1, headers),
                frame(Http2Framer.DATA, 0, 1, new byte[100]), frame(Http2Framer.RST_STREAM, 0, 1, new byte[] {0, 0, 0, 8}));
        Pair p = new Pair((h, e, ed) -> { });
        p.client(sent, new Random(1));
        assertEquals(1, p.exchanges.size(), "the reset ended it, before the connection did");
        Exchange e = p.exchanges.get(0);
        assertEquals(Exchange.End.CLIENT_GONE, e.end());
        assertEquals(8, e.resetCode());
        assertEquals(100, e.requestBodyBytes());
        p.end();
        assertArrayEquals(sent, p.toUpstream.toByteArray());
    }

    @Test
    void aGoAwayEndsTheStreamsTheServerWillNotProcess() throws Exception {
        HpackEncoder ce = encoder();
        byte[] one = encode(ce, request("GET", "/1", HttpFields.build()));
        byte[] three = encode(ce, request("GET", "/3", HttpFields.build()));
        Pair p = new Pair((h, e, ed) -> { });
        p.client(concat(PREFACE, frame(Http2Framer.HEADERS, 5, 1, one), frame(Http2Framer.HEADERS, 5, 3, three)), null);
        p.server(frame(7, 0, 0, new byte[] {0, 0, 0, 1, 0, 0, 0, 0}), null);
        assertEquals(1, p.exchanges.size());
        assertEquals("/3", p.exchanges.get(0).path());
        assertEquals(Exchange.End.UPSTREAM_GONE, p.exchanges.get(0).end());
    }

    @Test
    void undecodableHpackTurnsTheConnectionRawWithoutLosingAByte() throws Exception {
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}; // an index no table has
        byte[] sent = concat(PREFACE, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, 1, garbage),
                frame(Http2Framer.DATA, 0, 1, new byte[50]), "trailing".getBytes(StandardCharsets.US_ASCII));
        for (int seed = 0; seed < 20; seed++) {
            Pair p = new Pair((h, e, ed) -> { });
            p.client(sent, seed == 0 ? null : new Random(seed));
            p.server(SETTINGS, new Random(seed));
            p.end();
            assertArrayEquals(sent, p.toUpstream.toByteArray());
            assertArrayEquals(SETTINGS, p.toClient.toByteArray());
            assertEquals(List.of("HPACK decoding failed"), p.fallbacks);
        }
    }

    @Test
    void aHeaderBlockOverTheLimitTurnsTheConnectionRaw() throws Exception {
        HpackEncoder ce = encoder();
        byte[] headers = encode(ce, request("GET", "/", HttpFields.build().add("x-big", "v".repeat(3000))));
        byte[] sent = concat(PREFACE, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, 1, headers));
        Pair p = new Pair((h, e, ed) -> { }, 2048);
        p.client(sent, new Random(5));
        p.end();
        assertArrayEquals(sent, p.toUpstream.toByteArray());
        assertEquals(List.of("header block over NETRA_HTTP_MAX_HEADER_BYTES"), p.fallbacks);
        assertNotNull(p.exchanges);
    }

    @Test
    void aFrameInsideAHeaderBlockTurnsTheConnectionRaw() throws Exception {
        HpackEncoder ce = encoder();
        byte[] headers = encode(ce, request("GET", "/", HttpFields.build()));
        byte[] sent = concat(PREFACE, frame(Http2Framer.HEADERS, 0, 1, headers), frame(Http2Framer.DATA, 0, 1, new byte[3]));
        Pair p = new Pair((h, e, ed) -> { });
        p.client(sent, new Random(2));
        p.end();
        assertArrayEquals(sent, p.toUpstream.toByteArray());
        assertEquals(List.of("a frame inside a header block"), p.fallbacks);
    }

    @Test
    void anUpgradeToH2cIsFollowedIntoHttp2() throws Exception {
        for (int seed = 0; seed < 20; seed++) {
            HeadArrays heads = new HeadArrays();
            List<Exchange> exchanges = new ArrayList<>();
            HttpSettings settings = new HttpSettings(65536, (h, e, ed) -> { }, exchanges::add, (d, r) -> { }, heads);
            HttpSession session = new HttpSession(1, Direction.INBOUND, new InetSocketAddress("10.0.0.1", 40000),
                    new InetSocketAddress("10.0.0.2", 80), settings, true);
            session.decide(Protocol.HTTP1);
            session.http2Upgrade(() -> new Http2Connection(session));
            ByteArrayOutputStream toUpstream = new ByteArrayOutputStream();
            ByteArrayOutputStream toClient = new ByteArrayOutputStream();
            Forwarder requests = session.requests(channel(toUpstream));
            Forwarder responses = session.responses(channel(toClient));
            HpackEncoder ce = encoder();
            HpackEncoder se = encoder();
            byte[] upgrade = ("GET /first HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] switched = concat("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII), SETTINGS,
                    frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, 1, encode(se, new MetaData.Response(200, null,
                            HttpVersion.HTTP_2, HttpFields.build()))),
                    frame(Http2Framer.DATA, Http2Framer.END_STREAM, 1, new byte[10]));
            byte[] client = concat(PREFACE, SETTINGS, frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, 3,
                    encode(ce, request("GET", "/second", HttpFields.build()))));
            byte[] server = concat(frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS | Http2Framer.END_STREAM, 3,
                    encode(se, new MetaData.Response(404, null, HttpVersion.HTTP_2, HttpFields.build()))));
            Random r = seed == 0 ? null : new Random(seed);
            feed(requests, upgrade, r);
            feed(responses, switched, r);
            feed(requests, client, r);
            feed(responses, server, r);
            requests.endOfStream();
            responses.endOfStream();
            session.close(Exchange.End.CLIENT_GONE);
            assertArrayEquals(concat(upgrade, client), toUpstream.toByteArray());
            assertArrayEquals(concat(switched, server), toClient.toByteArray());
            assertEquals(2, exchanges.size(), "seed " + seed);
            assertEquals("/first", exchanges.get(0).path());
            assertEquals(200, exchanges.get(0).status(), "the upgrading request is stream 1, answered in HTTP/2");
            assertEquals(10, exchanges.get(0).responseBodyBytes());
            assertEquals(Exchange.End.COMPLETE, exchanges.get(0).end());
            assertEquals("/second", exchanges.get(1).path());
            assertEquals(404, exchanges.get(1).status());
        }
    }

    @Test
    void openStreamsAreBoundedInNumberAndHeadBytes() throws Exception {
        HpackEncoder ce = encoder();
        ByteArrayOutputStream many = new ByteArrayOutputStream();
        many.writeBytes(PREFACE);
        for (int i = 0; i < 1100; i++) { // requests whose responses never come
            many.writeBytes(frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, 1 + 2 * i,
                    encode(ce, request("GET", "/" + i, HttpFields.build()))));
        }
        Pair p = new Pair((h, e, ed) -> { });
        p.client(many.toByteArray(), new Random(4));
        p.end();
        assertArrayEquals(many.toByteArray(), p.toUpstream.toByteArray());
        assertEquals(1024, p.exchanges.size(), "the streams beyond pass without an exchange");
        assertEquals(List.of("http2 streams over the limit"), p.fallbacks, "counted once");

        HpackEncoder big = encoder();
        ByteArrayOutputStream large = new ByteArrayOutputStream();
        large.writeBytes(PREFACE);
        for (int i = 0; i < 20; i++) { // 20 heads of 60 KB: over the 1 MB the open streams may hold
            HttpFields.Mutable fields = HttpFields.build().add("x-big", String.valueOf((char) ('a' + i)).repeat(60_000));
            large.writeBytes(frame(Http2Framer.HEADERS, Http2Framer.END_HEADERS, 1 + 2 * i,
                    encode(big, request("GET", "/" + i, fields))));
        }
        Pair q = new Pair((h, e, ed) -> { }, 128 * 1024);
        q.client(large.toByteArray(), new Random(5));
        q.end();
        assertArrayEquals(large.toByteArray(), q.toUpstream.toByteArray());
        assertEquals(17, q.exchanges.size(), "17 heads of 60 KB fit in 1 MB");
    }

    @Test
    void bytesThatAreNotTheClientsPrefaceTurnTheConnectionRaw() throws Exception {
        byte[] sent = "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\nwhatever follows".getBytes(StandardCharsets.US_ASCII);
        for (int seed = 0; seed < 10; seed++) {
            Pair p = new Pair((h, e, ed) -> { });
            p.client(sent, seed == 0 ? null : new Random(seed));
            p.end();
            assertArrayEquals(sent, p.toUpstream.toByteArray());
            assertEquals(List.of("not the HTTP/2 client preface"), p.fallbacks);
        }
    }

    @Test
    void anExchangeHoldsItsHeadsAndNothingAPooledArrayHeldBefore() throws Exception {
        HpackEncoder ce = encoder();
        HpackEncoder se = encoder();
        Call call = unaryCall(ce, se, 1, 0);
        Pair p = new Pair((h, e, ed) -> { });
        byte[][] dirty = new byte[8][];
        for (int i = 0; i < dirty.length; i++) { // arrays the pool hands out again, full of another connection's bytes
            dirty[i] = p.arrays.acquire(1024);
            java.util.Arrays.fill(dirty[i], (byte) 'Z');
        }
        for (byte[] d : dirty) {
            p.arrays.release(d);
        }
        p.client(concat(PREFACE, call.client()), null);
        p.server(call.server(), null);
        assertEquals(2, p.heads().size(), "the request's and the response's, read while the listener ran");
        for (String head : p.heads()) {
            assertTrue(head.endsWith("\r\n\r\n") && head.indexOf("\r\n\r\n") == head.length() - 4, head);
            assertFalse(head.contains("Z"), head);
        }
        p.end();
    }

    @Test
    void grpcStatusIsReadAsANumber() {
        assertEquals(0, HeaderBlocks.grpcCode("0"));
        assertEquals(14, HeaderBlocks.grpcCode("14"));
        assertEquals(2, HeaderBlocks.grpcCode("x"));
        assertEquals(2, HeaderBlocks.grpcCode(""));
        assertNull(null);
    }
}
