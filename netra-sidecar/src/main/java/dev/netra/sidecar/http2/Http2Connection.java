package dev.netra.sidecar.http2;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HeadArrays;
import dev.netra.sidecar.http.HttpSession;

import java.nio.channels.WritableByteChannel;

/**
 * One HTTP/2 connection (cleartext: prior knowledge, or an `Upgrade: h2c` answered 101) as both
 * directions' framers share it: the peer settings that matter to a block netra edits, the switch
 * to raw, and the streams, whose exchanges the connection's {@link HttpSession} keeps. Each direction decodes its own header
 * blocks with its own HPACK table ({@link HeaderBlocks}), on its own thread.
 */
public final class Http2Connection implements HttpSession.Http2Upgrade {
    static final int DEFAULT_MAX_FRAME = 16_384;
    private static final int MAX_FRAME_LIMIT = (1 << 24) - 1;
    private static final int SETTINGS_MAX_FRAME_SIZE = 5;

    private final HttpSession session;
    private final int maxHeaderBytes;
    private final HeadArrays arrays;
    private volatile boolean raw;
    /** The largest frame the upstream accepts (its SETTINGS_MAX_FRAME_SIZE): what a block netra edits is cut to. */
    private volatile int upstreamMaxFrame = DEFAULT_MAX_FRAME;

    /**
     * Reads the session's NETRA_HTTP_MAX_HEADER_BYTES (a header block above it, encoded or decoded,
     * turns the connection raw) and borrows from its head arrays.
     */
    public Http2Connection(HttpSession session) {
        this.session = session;
        this.maxHeaderBytes = session.settings().maxHeaderBytes();
        this.arrays = session.settings().heads();
    }

    /** The client-to-upstream direction: the preface, then frames; request header blocks get netra's fields. */
    @Override
    public Forwarder requests(WritableByteChannel upstream) {
        return new Http2Framer(this, Direction.INBOUND, upstream, new HeaderBlocks(this, session, Direction.INBOUND));
    }

    /** The upstream-to-client direction: frames, passed as they came. */
    @Override
    public Forwarder responses(WritableByteChannel client) {
        return new Http2Framer(this, Direction.OUTBOUND, client, new HeaderBlocks(this, session, Direction.OUTBOUND));
    }

    boolean parsed() {
        return !raw;
    }

    /** Both directions go raw from here on; counted once, as HTTP/1's fallbacks are. */
    void fallback(Direction side, String reason) {
        raw = true;
        session.fallback(side, reason);
    }

    int maxHeaderBytes() {
        return maxHeaderBytes;
    }

    HeadArrays arrays() {
        return arrays;
    }

    int upstreamMaxFrame() {
        return upstreamMaxFrame;
    }

    void data(Direction side, int streamId, int length, boolean endStream) {
        if (side == Direction.INBOUND) {
            session.streamRequest(streamId, length, endStream);
        } else {
            session.streamResponse(streamId, length, endStream);
        }
    }

    /**
     * A SETTINGS frame's parameters ({@code n} bytes of them read). The upstream's maximum frame
     * size bounds the frames of a block netra edits. Header table sizes need no tracking: a
     * decoder's table changes only by the encoder's own size updates, which HPACK carries in-band.
     */
    void settings(Direction side, byte[] p, int n) {
        if (side != Direction.OUTBOUND) {
            return;
        }
        for (int i = 0; i + 6 <= n; i += 6) {
            int id = (p[i] & 0xff) << 8 | p[i + 1] & 0xff;
            long value = Http2Framer.int32(p, i + 2) & 0xffffffffL;
            if (id == SETTINGS_MAX_FRAME_SIZE && value >= DEFAULT_MAX_FRAME && value <= MAX_FRAME_LIMIT) {
                upstreamMaxFrame = (int) value;
            }
        }
    }

    void reset(Direction side, int streamId, int code) {
        session.streamReset(streamId, side == Direction.INBOUND, code & 0xffffffffL);
    }

    void goAway(Direction side, int lastStreamId) {
        if (side == Direction.OUTBOUND) {
            session.goAway(lastStreamId);
        }
    }
}
