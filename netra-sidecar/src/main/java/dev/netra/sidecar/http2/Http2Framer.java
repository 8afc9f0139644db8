package dev.netra.sidecar.http2;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.ProtocolDetector;
import dev.netra.sidecar.http.Forwarder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * One direction of an HTTP/2 connection, read frame by frame as it streams past (RFC 9113 §4):
 * every byte is written on in order; frames pass as they come, DATA without being buffered, except
 * a header block (HEADERS or PUSH_PROMISE and their CONTINUATIONs), which is held until complete,
 * decoded ({@link Http2Connection#headerBlock}) and written as it came or with netra's fields
 * appended. A frame netra cannot follow, or a block it cannot decode, turns the connection raw.
 */
final class Http2Framer implements Forwarder {
    static final int DATA = 0;
    static final int HEADERS = 1;
    static final int RST_STREAM = 3;
    static final int SETTINGS = 4;
    static final int PUSH_PROMISE = 5;
    static final int GOAWAY = 7;
    static final int CONTINUATION = 9;
    static final int END_STREAM = 0x1;
    static final int ACK = 0x1;
    static final int END_HEADERS = 0x4;
    static final int PADDED = 0x8;
    static final int PRIORITY = 0x20;
    static final int HEADER_BYTES = 9;
    /** The client's connection preface (RFC 9113 §3.4), which the request direction passes first. */
    static final int PREFACE_BYTES = 24;
    /** Payload bytes of a SETTINGS, RST_STREAM or GOAWAY frame kept to read: 42 settings; the rest passes unread. */
    private static final int CONTROL_BYTES = 252;
    /** The most a read gathers before writing; a longer run of passing bytes is written as it is. */
    private static final int STAGED_BYTES = 16 * 1024;

    enum State { PREFACE, FRAME_HEADER, PASS, HOLD, RAW }

    private final Http2Connection conn;
    private final Direction side;
    private final WritableByteChannel out;
    private final HeaderBlocks blocks;
    private State state;
    private int prefaceLeft = PREFACE_BYTES;
    private final byte[] header = new byte[HEADER_BYTES];
    private int headerFill;
    /** Header bytes that came in an earlier read and are not written yet (a header split across reads). */
    private int headerCarried;
    private int length;
    private int type;
    private int flags;
    private int streamId;
    /** Payload bytes of the current frame still to come. */
    private int left;
    private final byte[] control = new byte[CONTROL_BYTES];
    private int controlFill;
    /** A header block's frames, their headers included, until the block ends. */
    private byte[] hold;
    private int holdFill;
    /** The stream of the header block being held, 0 when none is. */
    private int blockStream;
    /** Where the bytes of the current read not yet written start. */
    private int passFrom;
    /**
     * What one read makes to write, gathered and written once at its end: a read of ten streams'
     * frames is one write, not one per header block. Borrowed while a read is forwarded.
     */
    private byte[] staged;
    private int stagedFill;

    Http2Framer(Http2Connection conn, Direction side, WritableByteChannel out, HeaderBlocks blocks) {
        this.conn = conn;
        this.side = side;
        this.out = out;
        this.blocks = blocks;
        this.state = side == Direction.INBOUND ? State.PREFACE : State.FRAME_HEADER;
    }

    @Override
    public void forward(ByteBuffer in) throws IOException {
        passFrom = in.position();
        while (in.hasRemaining()) {
            if (state != State.RAW && !conn.parsed()) {
                toRaw(in);
            }
            switch (state) {
                case RAW -> in.position(in.limit());
                case PREFACE -> preface(in);
                case FRAME_HEADER -> frameHeader(in);
                case PASS -> pass(in);
                case HOLD -> hold(in);
            }
        }
        flush(in, in.position());
        drain();
    }

    @Override
    public void endOfStream() throws IOException {
        writeKept();
        drain();
    }

    @Override
    public boolean betweenMessages() {
        return state == State.FRAME_HEADER && headerFill == 0 && blockStream == 0;
    }

    @Override
    public boolean raw() {
        return state == State.RAW;
    }

    @Override
    public boolean midHead() {
        return side == Direction.INBOUND && (state == State.HOLD || blockStream != 0);
    }

    /** The client's preface, checked (after an `Upgrade: h2c` nothing else did): anything else turns the connection raw. */
    private void preface(ByteBuffer in) throws IOException {
        int start = in.position();
        while (prefaceLeft > 0 && in.hasRemaining()) {
            if (in.get() != ProtocolDetector.HTTP2_PREFACE[PREFACE_BYTES - prefaceLeft]) {
                fallback("not the HTTP/2 client preface", in, start);
                return;
            }
            prefaceLeft--;
        }
        if (prefaceLeft == 0) {
            state = State.FRAME_HEADER;
        }
    }

    /** Reads a frame header, from this read or (split) from the bytes kept of the last one, then decides what the frame is. */
    private void frameHeader(ByteBuffer in) throws IOException {
        int start = in.position();
        if (headerFill == 0 && in.remaining() >= HEADER_BYTES) {
            in.get(header);
            headerFill = HEADER_BYTES;
        } else {
            int n = Math.min(HEADER_BYTES - headerFill, in.remaining());
            if (headerFill == 0) {
                flush(in, start); // the bytes before go in order; these are kept until the frame is known
            }
            in.get(header, headerFill, n);
            headerFill += n;
            if (headerFill < HEADER_BYTES) {
                headerCarried = headerFill;
                passFrom = in.position();
                return;
            }
        }
        headerFill = 0;
        length = int24(header, 0);
        type = header[3] & 0xff;
        flags = header[4] & 0xff;
        streamId = streamId(header, 0);
        left = length;
        boolean block = type == HEADERS || type == PUSH_PROMISE || type == CONTINUATION;
        if (blockStream != 0 && (type != CONTINUATION || streamId != blockStream)) {
            fallback("a frame inside a header block", in, start);
            return;
        }
        if (block && streamId == 0) {
            fallback("a header block on stream 0", in, start);
            return;
        }
        if (blockStream == 0 && type == CONTINUATION) {
            fallback("CONTINUATION without a header block", in, start);
            return;
        }
        if (block) {
            if (holdFill + HEADER_BYTES + length > conn.maxHeaderBytes()) {
                fallback("header block over NETRA_HTTP_MAX_HEADER_BYTES", in, start);
                return;
            }
            // the bytes before the block go now; the block is held
            if (headerCarried == 0) {
                flush(in, start);
            }
            headerCarried = 0;
            holdBytes(header, 0, HEADER_BYTES);
            blockStream = streamId;
            passFrom = in.position();
            state = State.HOLD;
            if (left == 0) {
                blockFrameEnded(in);
            }
            return;
        }
        if (headerCarried > 0) {
            // the start of this header was kept from the last read: it goes out first, then the rest with this read's bytes
            emit(ByteBuffer.wrap(header, 0, headerCarried));
            headerCarried = 0;
            passFrom = start;
        }
        controlFill = 0;
        state = State.PASS;
        if (left == 0) {
            frameEnded();
        }
    }

    /** Payload of a frame that passes as it comes; a control frame's first bytes are copied aside to be read. */
    private void pass(ByteBuffer in) {
        int n = Math.min(left, in.remaining());
        if (type != DATA && controlFill < CONTROL_BYTES) {
            int c = Math.min(n, CONTROL_BYTES - controlFill);
            in.get(in.position(), control, controlFill, c);
            controlFill += c;
        }
        in.position(in.position() + n);
        left -= n;
        if (left == 0) {
            frameEnded();
        }
    }

    private void frameEnded() {
        state = State.FRAME_HEADER;
        switch (type) {
            case DATA -> conn.data(side, streamId, length, (flags & END_STREAM) != 0);
            case SETTINGS -> {
                if ((flags & ACK) == 0) {
                    conn.settings(side, control, controlFill);
                }
            }
            case RST_STREAM -> {
                if (controlFill >= 4) {
                    conn.reset(side, streamId, int32(control, 0));
                }
            }
            case GOAWAY -> {
                if (controlFill >= 8) {
                    conn.goAway(side, int32(control, 0) & 0x7fffffff);
                }
            }
            default -> { }
        }
    }

    private void hold(ByteBuffer in) throws IOException {
        int n = Math.min(left, in.remaining());
        holdBytes(in, n);
        left -= n;
        passFrom = in.position();
        if (left == 0) {
            blockFrameEnded(in);
        }
    }

    /** A frame of the held block is complete: at END_HEADERS the block is decoded and written. */
    private void blockFrameEnded(ByteBuffer in) throws IOException {
        state = State.FRAME_HEADER;
        if ((flags & END_HEADERS) == 0) {
            return;
        }
        ByteBuffer written = blocks.process(hold, holdFill);
        if (written == null) {
            fallback(blocks.error(), in, in.position());
            return;
        }
        emit(written);
        blockStream = 0;
        releaseHold(false);
    }

    private void holdBytes(byte[] b, int off, int n) {
        ensureHold(n);
        System.arraycopy(b, off, hold, holdFill, n);
        holdFill += n;
    }

    private void holdBytes(ByteBuffer in, int n) {
        ensureHold(n);
        in.get(hold, holdFill, n);
        holdFill += n;
    }

    private void ensureHold(int n) {
        if (hold == null || holdFill + n > hold.length) {
            byte[] bigger = conn.arrays().acquire(Math.max(holdFill + n, 1024));
            if (hold != null) {
                System.arraycopy(hold, 0, bigger, 0, holdFill);
                conn.arrays().release(hold);
            }
            hold = bigger;
        }
    }

    /** Gives the held block's array back, writing what it holds first when {@code write}. */
    private void releaseHold(boolean write) throws IOException {
        if (hold == null) {
            return;
        }
        if (write && holdFill > 0) {
            emit(ByteBuffer.wrap(hold, 0, holdFill));
        }
        conn.arrays().release(hold);
        hold = null;
        holdFill = 0;
    }

    /** Gathers {@code b} to be written at the end of the read; what does not fit goes at once, in order. */
    private void emit(ByteBuffer b) throws IOException {
        emit(b, b.position(), b.remaining());
        b.position(b.limit());
    }

    /** Gathers {@code n} bytes of {@code src} from {@code from} (absolute: no view of the buffer made per frame). */
    private void emit(ByteBuffer src, int from, int n) throws IOException {
        if (staged == null) {
            staged = conn.arrays().acquire(STAGED_BYTES);
        }
        if (stagedFill + n > staged.length) {
            drainKeep();
            if (n > staged.length) {
                Forwarder.writeFully(out, src.duplicate().position(from).limit(from + n));
                return;
            }
        }
        src.get(from, staged, stagedFill, n);
        stagedFill += n;
    }

    /** Writes what was gathered and gives the array back (an idle connection holds none). */
    private void drain() throws IOException {
        drainKeep();
        conn.arrays().release(staged);
        staged = null;
    }

    private void drainKeep() throws IOException {
        if (stagedFill > 0) {
            Forwarder.writeFully(out, ByteBuffer.wrap(staged, 0, stagedFill));
            stagedFill = 0;
        }
    }

    /** Writes the bytes of this read from {@link #passFrom} up to {@code to}. */
    private void flush(ByteBuffer in, int to) throws IOException {
        if (to > passFrom) {
            emit(in, passFrom, to - passFrom);
        }
        passFrom = Math.max(passFrom, to);
    }

    /**
     * The connection stops being parsed: what is held goes out, then what was read of the current
     * frame (from {@code start} in this read), then every further byte as it comes.
     */
    private void fallback(String reason, ByteBuffer in, int start) throws IOException {
        conn.fallback(side, reason);
        flush(in, start);
        writeKept();
        passFrom = start;
        state = State.RAW;
    }

    /** The other direction went raw: everything kept goes out now, in order, and the rest as it comes. */
    private void toRaw(ByteBuffer in) throws IOException {
        flush(in, in.position());
        writeKept();
        state = State.RAW;
    }

    /** Writes a held block and then a header begun in an earlier read: the order they came in. */
    private void writeKept() throws IOException {
        releaseHold(true);
        if (headerCarried > 0) {
            emit(ByteBuffer.wrap(header, 0, headerCarried));
            headerCarried = 0;
        }
        headerFill = 0;
        blockStream = 0;
    }

    /** A frame's payload length: the 24-bit field its header starts with at {@code off}. */
    static int int24(byte[] b, int off) {
        return (b[off] & 0xff) << 16 | (b[off + 1] & 0xff) << 8 | b[off + 2] & 0xff;
    }

    /** The stream id of the frame whose header starts at {@code off} (the reserved bit cleared). */
    static int streamId(byte[] b, int off) {
        return int32(b, off + 5) & 0x7fffffff;
    }

    static int int32(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | b[off + 3] & 0xff;
    }
}
