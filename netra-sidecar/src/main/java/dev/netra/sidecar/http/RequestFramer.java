package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.detect.ProtocolDetector;
import dev.netra.sidecar.http.HttpSession.Verdict;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * The client-to-upstream direction: frames requests, applies the header edits and opens an
 * exchange per request. Its first bytes come from the detect stage, which decided already.
 */
final class RequestFramer extends MessageFramer {
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);
    private final HeaderEditor editor;
    private Exchange current;
    private boolean tunnelCandidate;
    private boolean sentWhileAwaiting;

    RequestFramer(HttpSession session, WritableByteChannel out) {
        super(session, out);
        editor = new HeaderEditor(session.settings.heads());
    }

    @Override
    Direction side() {
        return Direction.INBOUND;
    }

    @Override
    public void forward(ByteBuffer in) throws IOException {
        while (in.hasRemaining()) {
            if (http2 != null) {
                http2.forward(in);
                return;
            }
            if (state != State.RAW && !session.parsed()) {
                toRaw(in);
                return;
            }
            if (state == State.AWAIT_VERDICT) {
                awaitVerdict(in);
            } else {
                step(in);
            }
        }
        endOfRead();
    }

    @Override
    public void endOfStream() throws IOException {
        flushPending();
        flushHeld();
        if (http2 != null) {
            http2.endOfStream();
        }
    }

    @Override
    void releaseArrays() {
        editor.release();
    }

    @Override
    Boolean plausibleStart(ByteBuffer held) {
        Protocol p = ProtocolDetector.requestLine(held);
        return p == null ? null : p == Protocol.HTTP1;
    }

    @Override
    String implausibleStart() {
        return "not a request line";
    }
    @Override
    void onHead() throws IOException {
        String error = head.parse(reader.bytes(), reader.length(), true);
        ByteBuffer rest = NOTHING;
        if (error != null) {
            fallback(error, rest);
            return;
        }
        int te = head.transferEncoding();
        long cl = head.contentLength();
        if (te < 0) {
            fallback("request transfer-encoding not chunked", rest);
            return;
        }
        if (te > 0 && cl != -1) {
            fallback("both content-length and transfer-encoding", rest);
            return;
        }
        if (cl == -2) {
            fallback("bad content-length", rest);
            return;
        }
        Exchange e = new Exchange(session, head,
                session.headArray(head.length()), System.nanoTime());
        if (!session.enqueue(e)) {
            fallback("pipeline too deep", rest);
            return;
        }
        editor.reset();
        session.settings.edits().edit(head, e, editor);
        if (session.selector() != null) {
            session.selector().select(e);
        }
        writeHead(editor.isEmpty() ? held() : editor.apply(head));
        reader.reset();
        current = e;
        tunnelCandidate = e.isUpgrade() || e.isConnect();
        body.start(te > 0 ? BodyFramer.Mode.CHUNKED : lengthMode(cl), Math.max(cl, 0));
        state = State.BODY;
        if (body.done()) {
            onBodyEnd();
        }
    }

    @Override
    void onBodyEnd() {
        current.requestEnded(body.bodyBytes(), System.nanoTime());
        current = null;
        if (tunnelCandidate) {
            sentWhileAwaiting = false;
            state = State.AWAIT_VERDICT;
        } else {
            state = State.IDLE;
        }
    }

    /**
     * After an Upgrade or CONNECT request: bytes are passed on raw until the response decides.
     * A refusal after such bytes leaves nothing to resynchronise on, so the connection goes opaque.
     */
    private void awaitVerdict(ByteBuffer in) throws IOException {
        Verdict v = session.verdict();
        if (v == Verdict.TUNNEL) {
            state = State.RAW;
            if (session.upgradedToHttp2()) {
                http2 = session.http2Upgrade().requests(out); // the client's preface comes next
            }
        } else if (v == Verdict.REFUSED) {
            session.verdict(Verdict.NONE);
            if (sentWhileAwaiting) {
                fallback("data after a refused upgrade", in);
            } else {
                state = State.IDLE;
            }
        } else {
            sentWhileAwaiting = true;
            write(in);
        }
    }
}
