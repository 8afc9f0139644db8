package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.detect.ProtocolDetector;
import dev.netra.sidecar.http.HttpSession.Verdict;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.function.Supplier;

/**
 * The upstream-to-client direction: frames responses, pairs each final response with the
 * oldest open request, and turns the connection into a tunnel after 101 or a 2xx to CONNECT.
 */
final class ResponseFramer extends MessageFramer {
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);
    private static final byte[] UPGRADE = HttpHead.bytes("upgrade");

    private Exchange current;
    /** With routing, the request this upstream's response answers; null for a connection's one upstream. */
    private final Supplier<Exchange> expected;

    ResponseFramer(HttpSession session, WritableByteChannel out, Supplier<Exchange> expected) {
        super(session, out);
        this.expected = expected;
    }

    @Override
    Direction side() {
        return Direction.OUTBOUND;
    }

    @Override
    public void forward(ByteBuffer in) throws IOException {
        while (in.hasRemaining()) {
            if (http2 != null) {
                flushPending();
                http2.forward(in);
                return;
            }
            if (state != State.RAW && session.serverSpokeFirst() != Protocol.HTTP1) {
                toRaw(in);
                return;
            }
            if (state == State.IDLE && !awaited() && !emptyLine(in)) {
                // Bytes no request asked for (stray bytes after a 204, a server that speaks on its
                // own): held as a head they would wait for the next request or glue onto its response.
                fallback("response without a request", in);
                return;
            }
            step(in);
        }
        endOfRead();
    }

    /** Whether a request waits for this response: the oldest open one, and with routing the one sent here. */
    private boolean awaited() {
        Exchange oldest = session.peek();
        return oldest != null && (expected == null || expected.get() == oldest);
    }

    private static boolean emptyLine(ByteBuffer in) {
        byte b = in.get(in.position());
        return b == '\r' || b == '\n';
    }

    @Override
    Boolean plausibleStart(ByteBuffer held) {
        if (!ProtocolDetector.statusLinePossible(held)) {
            return Boolean.FALSE;
        }
        return held.remaining() >= 5 ? Boolean.TRUE : null;
    }

    @Override
    String implausibleStart() {
        return "not a status line";
    }

    @Override
    public void endOfStream() throws IOException {
        if (state == State.BODY && current != null && !body.done()) {
            // a close-delimited body ends here; any other body was cut short
            if (bodyUntilClose) {
                onBodyEnd();
            }
        }
        flushPending();
        flushHeld();
        if (http2 != null) {
            http2.endOfStream();
        }
    }

    private boolean bodyUntilClose;

    @Override
    void onHead() throws IOException {
        String error = head.parse(reader.bytes(), reader.length(), false);
        if (error != null) {
            fallback(error, NOTHING);
            return;
        }
        Exchange e = session.peek();
        if (e == null) {
            fallback("response without a request", NOTHING);
            return;
        }
        int status = head.status();
        if (status < 200) {
            if (status == 101) {
                if (!e.isUpgrade()) {
                    fallback("101 without an upgrade request", NOTHING);
                    return;
                }
                tunnel(session.startResponse());
                return;
            }
            // interim (100 Continue, 103 Early Hints): the final response is still to come
            write(held());
            reader.reset();
            state = State.IDLE;
            return;
        }
        e = session.startResponse();
        if (e.isConnect() && status < 300) {
            tunnel(e);
            return;
        }
        if (e.isUpgrade() || e.isConnect()) {
            session.verdict(Verdict.REFUSED);
        }
        BodyFramer.Mode mode;
        long cl = 0;
        if (e.isHeadRequest() || status == 204 || status == 304) {
            mode = BodyFramer.Mode.NONE;
        } else {
            int te = head.transferEncoding();
            cl = head.contentLength();
            if (te > 0) {
                mode = BodyFramer.Mode.CHUNKED;
            } else if (te < 0) {
                mode = BodyFramer.Mode.UNTIL_CLOSE;
            } else if (cl == -2) {
                fallback("bad content-length", NOTHING);
                return;
            } else {
                mode = cl >= 0 ? lengthMode(cl) : BodyFramer.Mode.UNTIL_CLOSE;
            }
        }
        e.responseHead(head, session.headArray(head.length()), System.nanoTime());
        writeHead(held());
        reader.reset();
        current = e;
        bodyUntilClose = mode == BodyFramer.Mode.UNTIL_CLOSE;
        body.start(mode, Math.max(cl, 0));
        state = State.BODY;
        if (body.done()) {
            onBodyEnd();
        }
    }

    private void tunnel(Exchange e) throws IOException {
        if (head.status() == 101 && session.http2Upgrade() != null && "h2c".equalsIgnoreCase(head.value(UPGRADE))) {
            // HTTP/2 from here on (RFC 7540 §3.2): the upgrading request is stream 1, its response comes as frames
            write(held());
            reader.reset();
            state = State.RAW;
            session.toHttp2(e);
            http2 = session.http2Upgrade().responses(out);
            return;
        }
        long now = System.nanoTime();
        e.responseHead(head, session.headArray(head.length()), now);
        e.responseEnded(0, now);
        write(held());
        reader.reset();
        session.verdict(Verdict.TUNNEL);
        session.complete(e);
        state = State.RAW;
    }

    @Override
    void onBodyEnd() {
        current.responseEnded(body.bodyBytes(), System.nanoTime());
        session.complete(current);
        current = null;
        state = State.IDLE;
    }
}
