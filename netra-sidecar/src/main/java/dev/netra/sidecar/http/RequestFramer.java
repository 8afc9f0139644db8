package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.HttpSession.Protocol;
import dev.netra.sidecar.http.HttpSession.Verdict;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client-to-upstream direction: tells HTTP from not, frames requests, applies the header
 * edits and opens an exchange per request.
 */
final class RequestFramer extends MessageFramer {
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);
    /** Held only against the detection timer, which may flush held bytes from its own thread. */
    private final ReentrantLock lock = new ReentrantLock();
    private final HeaderEditor editor;
    private Exchange current;
    private boolean tunnelCandidate;
    private boolean sentWhileAwaiting;
    private ScheduledFuture<?> detectTimeout;

    RequestFramer(HttpSession session, WritableByteChannel out) {
        super(session, out);
        editor = new HeaderEditor(session.settings.heads());
        state = session.protocol() == Protocol.DETECT ? State.DETECT : State.IDLE;
    }

    @Override
    Direction side() {
        return Direction.INBOUND;
    }

    @Override
    public void forward(ByteBuffer in) throws IOException {
        lock.lock();
        try {
            while (in.hasRemaining()) {
                if (state != State.RAW && session.protocol() == Protocol.OPAQUE) {
                    toRaw(in);
                    return;
                }
                switch (state) {
                    case DETECT -> detect(in);
                    case AWAIT_VERDICT -> awaitVerdict(in);
                    default -> step(in);
                }
            }
            endOfRead();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean raw() {
        lock.lock(); // the detect timeout may be switching to raw and writing what it held
        try {
            return super.raw();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long passable() {
        lock.lock();
        try {
            return super.passable();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void passed(long n) throws IOException {
        lock.lock();
        try {
            super.passed(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void endOfStream() throws IOException {
        lock.lock();
        try {
            cancelDetectTimeout();
            flushPending();
            flushHeld();
        } finally {
            lock.unlock();
        }
    }

    @Override
    void releaseArrays() {
        editor.release();
    }

    private void detect(ByteBuffer in) throws IOException {
        HeadReader.Result r = reader.consume(in);
        ProtocolDetector.Verdict v = ProtocolDetector.detect(held());
        if (v == ProtocolDetector.Verdict.NEED_MORE && r != HeadReader.Result.TOO_LARGE) {
            if (detectTimeout == null) {
                detectTimeout = session.settings.timer().schedule(this::detectTimedOut,
                        session.settings.detectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        cancelDetectTimeout();
        Protocol p = session.decide(v == ProtocolDetector.Verdict.HTTP ? Protocol.HTTP : Protocol.OPAQUE);
        if (p != Protocol.HTTP) {
            toRaw(in);
            return;
        }
        state = State.HEAD;
        switch (r) {
            case COMPLETE -> onHead();
            case TOO_LARGE -> fallback("header block too large", in);
            case NEED_MORE -> { }
        }
    }

    /** The client said too little to tell: whatever it is, it is not ours to hold any longer. */
    private void detectTimedOut() {
        lock.lock();
        try {
            if (state == State.DETECT) {
                session.decide(Protocol.OPAQUE);
                flushHeld();
                state = State.RAW;
                reader.release(); // a server that speaks first may keep the client quiet for good
            }
        } catch (IOException e) {
            // the copy loop meets the same broken channel on its next write and ends the connection
        } finally {
            lock.unlock();
        }
    }

    private void cancelDetectTimeout() {
        if (detectTimeout != null) {
            detectTimeout.cancel(false);
            detectTimeout = null;
        }
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
