package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * What both directions' framers share: the head being collected, the body being framed, and
 * the rule that every byte read is written, raw once the connection went opaque.
 */
abstract class MessageFramer implements Forwarder {
    enum State { IDLE, HEAD, BODY, AWAIT_VERDICT, RAW }

    final HttpSession session;
    final WritableByteChannel out;
    final HeadReader reader;
    final HttpHead head = new HttpHead();
    final BodyFramer body = new BodyFramer();
    State state = State.IDLE;
    /** HTTP/2's framer for this direction once an `Upgrade: h2c` was answered 101: it gets every later byte. */
    Forwarder http2;
    /** Whether the head being collected has shown enough to be a request or status line (checked until it has). */
    private boolean startChecked;
    /** A reusable view of the held head bytes, created once the head array exists. */
    private ByteBuffer heldView;
    /** A head waiting to go out together with the bytes that follow it in the same read. */
    private ByteBuffer pendingHead;
    private final ByteBuffer[] headAndRest = new ByteBuffer[2];

    MessageFramer(HttpSession session, WritableByteChannel out) {
        this.session = session;
        this.out = out;
        this.reader = new HeadReader(session.settings.maxHeaderBytes(), session.settings.heads());
    }

    /** Which side this framer reads: INBOUND for requests (client side), OUTBOUND for responses. */
    abstract Direction side();

    /**
     * Whether {@code held}, the start of a head, can still be this side's first line: TRUE once
     * it surely is, FALSE once it cannot be, null while it may still. A head that cannot be one
     * goes raw at once instead of being held until an empty line that may never come.
     */
    abstract Boolean plausibleStart(ByteBuffer held);

    /** The fallback reason of a head whose start {@link #plausibleStart} refused. */
    abstract String implausibleStart();

    /** Handles a complete head held in {@link #reader}; may switch to RAW. */
    abstract void onHead() throws IOException;

    /** The body that started in {@link #onHead} has ended. */
    abstract void onBodyEnd();

    @Override
    public boolean betweenMessages() {
        if (http2 != null) {
            return http2.betweenMessages();
        }
        return state == State.IDLE;
    }

    @Override
    public boolean raw() {
        if (http2 != null) {
            return http2.raw();
        }
        return state == State.RAW && pendingHead == null;
    }

    @Override
    public boolean midHead() {
        if (http2 != null) {
            return http2.midHead();
        }
        return state == State.HEAD;
    }

    @Override
    public long passable() {
        if (http2 != null) {
            return pendingHead != null ? 0 : http2.passable();
        }
        if (pendingHead != null) {
            return 0;
        }
        return switch (state) {
            case RAW -> Long.MAX_VALUE;
            case BODY -> body.passable();
            default -> 0;
        };
    }

    @Override
    public void passed(long n) throws IOException {
        if (http2 != null) {
            http2.passed(n);
            return;
        }
        if (state == State.BODY) {
            body.passed(n);
            if (body.done()) {
                onBodyEnd();
            }
        }
    }

    /** Processes {@code in} in the states both directions have. */
    final void step(ByteBuffer in) throws IOException {
        switch (state) {
            case RAW -> write(in);
            case IDLE -> {
                // Empty lines between messages are tolerated (RFC 9112 section 2.2) and passed on.
                int start = in.position();
                while (in.hasRemaining() && (in.get(in.position()) == '\r' || in.get(in.position()) == '\n')) {
                    in.get();
                }
                writeSlice(in, start, in.position());
                if (in.hasRemaining()) {
                    state = State.HEAD;
                    startChecked = false;
                }
            }
            case HEAD -> {
                flushPending(); // the reader is about to reuse the array a pending head lives in
                HeadReader.Result r = reader.consume(in);
                if (!startChecked) {
                    Boolean plausible = plausibleStart(held());
                    if (plausible == Boolean.FALSE) {
                        fallback(implausibleStart(), in);
                        return;
                    }
                    startChecked = plausible != null;
                }
                switch (r) {
                    case NEED_MORE -> { }
                    case TOO_LARGE -> fallback("header block too large", in);
                    case COMPLETE -> onHead();
                }
            }
            case BODY -> {
                int start = in.position();
                body.advance(in);
                if (body.error() != null) {
                    in.position(start);
                    fallback(body.error(), in);
                    return;
                }
                writeSlice(in, start, in.position());
                if (body.done()) {
                    onBodyEnd();
                }
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    /** Goes opaque: what is held is written first, then the rest of {@code in}. */
    final void fallback(String reason, ByteBuffer in) throws IOException {
        session.fallback(side(), reason);
        toRaw(in);
    }

    final void toRaw(ByteBuffer in) throws IOException {
        flushHeld();
        state = State.RAW;
        write(in);
    }

    /** Writes the head bytes collected but not yet forwarded. */
    final void flushHeld() throws IOException {
        if (reader.length() > 0) {
            write(held());
            reader.reset();
        }
    }

    /** The held head bytes, as they arrived. */
    final ByteBuffer held() {
        if (heldView == null || heldView.array() != reader.bytes()) {
            heldView = ByteBuffer.wrap(reader.bytes());
        }
        return heldView.limit(reader.length()).position(0);
    }

    /**
     * Holds a finished head back until the end of this read, so that it leaves in one write (one
     * TCP segment, one wake-up of the peer) with the body bytes that arrived with it.
     */
    final void writeHead(ByteBuffer head) throws IOException {
        flushPending();
        pendingHead = head;
    }

    /** Writes all of {@code b}, after the pending head if there is one. */
    final void write(ByteBuffer b) throws IOException {
        ByteBuffer h = pendingHead;
        if (h == null) {
            Forwarder.writeFully(out, b);
            return;
        }
        pendingHead = null;
        if (!b.hasRemaining() || !(out instanceof GatheringByteChannel gathering)) {
            Forwarder.writeFully(out, h);
            Forwarder.writeFully(out, b);
            return;
        }
        headAndRest[0] = h;
        headAndRest[1] = b;
        try {
            while (b.hasRemaining()) {
                gathering.write(headAndRest);
            }
        } finally {
            headAndRest[0] = null;
            headAndRest[1] = null;
        }
    }

    /**
     * Ends the handling of one read: the pending head goes out, and a direction left between
     * messages (or gone opaque) gives its head arrays back, so an idle connection holds none.
     */
    final void endOfRead() throws IOException {
        flushPending();
        if (state == State.IDLE || state == State.RAW) {
            reader.release();
            releaseArrays();
        }
    }

    /** Gives back arrays a subclass borrows per message; everything written from them is out. */
    void releaseArrays() {
    }

    /** Writes the pending head; called when a read has been handled and before anything else may write. */
    final void flushPending() throws IOException {
        ByteBuffer h = pendingHead;
        if (h != null) {
            pendingHead = null;
            Forwarder.writeFully(out, h);
        }
    }

    /** Writes {@code in[from..to)} without disturbing the caller's position. */
    final void writeSlice(ByteBuffer in, int from, int to) throws IOException {
        if (from == to) {
            return;
        }
        int position = in.position();
        int limit = in.limit();
        in.limit(to).position(from);
        write(in);
        in.limit(limit).position(position);
    }

    static BodyFramer.Mode lengthMode(long contentLength) {
        return contentLength > 0 ? BodyFramer.Mode.LENGTH : BodyFramer.Mode.NONE;
    }
}
