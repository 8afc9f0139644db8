package dev.netra.sidecar.http2;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.HeaderEditor;
import dev.netra.sidecar.http.HttpHead;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.log.LogGate;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http.compression.HuffmanEncoder;
import org.eclipse.jetty.http2.hpack.HpackDecoder;
import org.eclipse.jetty.http2.hpack.HpackException;
import org.tinylog.Logger;

import java.nio.ByteBuffer;
import java.util.IdentityHashMap;

import static dev.netra.sidecar.http2.Http2Framer.END_HEADERS;
import static dev.netra.sidecar.http2.Http2Framer.END_STREAM;
import static dev.netra.sidecar.http2.Http2Framer.HEADERS;
import static dev.netra.sidecar.http2.Http2Framer.HEADER_BYTES;
import static dev.netra.sidecar.http2.Http2Framer.PADDED;
import static dev.netra.sidecar.http2.Http2Framer.PRIORITY;
import static dev.netra.sidecar.http2.Http2Framer.PUSH_PROMISE;

/**
 * One direction's header blocks: each is decoded with the direction's HPACK table (Jetty's
 * decoder), so the table stays in step with the sender's; a request opens its stream's exchange,
 * a response or trailers report to it. netra's edits to a request are appended to its block as
 * literal fields without indexing, which neither side's table keeps; an edit that replaces a
 * field the request carries removes it only where its representation did not enter the table
 * (see docs/http2.md). Everything else in the block, and every other frame, stays as it came.
 */
final class HeaderBlocks {
    /** The largest dynamic table an encoder may ask for (a size update above it turns the connection raw). */
    static final int MAX_TABLE_BYTES = 64 * 1024;
    private static final String HPACK_FAILED = "HPACK decoding failed";
    private static final int MAX_GRPC_MESSAGE = 256;

    private final Http2Connection conn;
    private final HttpSession session;
    private final Direction side;
    private final HpackDecoder decoder;
    private final HttpHead head = new HttpHead();
    /** Requests only: where the request's edits are collected. */
    private final HeaderEditor editor;
    private String error;
    /** The length of the head {@link #requestHead} or {@link #responseHead} wrote last (pooled arrays are longer). */
    private int textLength;
    /** Each field representation of the block being edited: its bytes, and whether netra may remove it. */
    private int[] repStart = new int[32];
    private int[] repEnd = new int[32];
    private int[] nameStart = new int[32];
    private int[] nameLength = new int[32];
    private boolean[] nameHuffman = new boolean[32];
    private boolean[] removable = new boolean[32];
    private boolean[] remove = new boolean[32];
    private int reps;
    private final boolean[] append = new boolean[16];
    /** Huffman forms of edited names, made once per name (names are a handful of constants). */
    private final IdentityHashMap<byte[], byte[]> huffmanNames = new IdentityHashMap<>();

    HeaderBlocks(Http2Connection conn, HttpSession session, Direction side) {
        this.conn = conn;
        this.session = session;
        this.side = side;
        this.decoder = new HpackDecoder(conn.maxHeaderBytes(), System::nanoTime);
        decoder.setMaxTableCapacity(MAX_TABLE_BYTES);
        this.editor = side == Direction.INBOUND ? session.editor() : null;
    }

    /** Why {@link #process} returned null: a fixed reason (a metric label). */
    String error() {
        return error;
    }

    /**
     * A complete header block: its frames, headers included, in {@code frames[0..length)}. Returns
     * what to write (those bytes, or the block edited), or null when the block could not be decoded
     * and the connection must go raw.
     */
    ByteBuffer process(byte[] frames, int length) {
        int type = frames[3] & 0xff;
        int flags = frames[4] & 0xff;
        int streamId = Http2Framer.streamId(frames, 0);
        byte[] block = conn.arrays().acquire(length);
        try {
            int prefix = 0;
            int padding = 0;
            int blockLength = 0;
            for (int p = 0; p < length; ) {
                int len = Http2Framer.int24(frames, p);
                int from = p + HEADER_BYTES;
                int to = from + len;
                if (p == 0) {
                    if ((flags & PADDED) != 0) {
                        padding = len > 0 ? frames[from] & 0xff : len + 1;
                        from++;
                    }
                    if (type == HEADERS && (flags & PRIORITY) != 0) {
                        from += 5;
                    }
                    if (type == PUSH_PROMISE) {
                        from += 4;
                    }
                    to -= padding;
                    prefix = from - HEADER_BYTES;
                    if (to < from) {
                        error = "a header frame shorter than its padding";
                        return null;
                    }
                }
                System.arraycopy(frames, from, block, blockLength, to - from);
                blockLength += to - from;
                p += HEADER_BYTES + len;
            }
            MetaData md;
            try {
                md = decoder.decode(ByteBuffer.wrap(block, 0, blockLength));
            } catch (HpackException.SessionException e) {
                Logger.debug("conn={} {} HPACK: {}", session.id(), side.label(), e.getMessage());
                error = HPACK_FAILED;
                return null;
            } catch (HpackException.StreamException e) {
                // the table is in step (the whole block was read); the block is no valid message: it passes as it came
                if (LogGate.debug()) {
                    Logger.debug("conn={} stream {} not followed: {}", session.id(), streamId, e.getMessage());
                }
                return ByteBuffer.wrap(frames, 0, length);
            }
            boolean endStream = (flags & END_STREAM) != 0;
            if (type == PUSH_PROMISE) {
                return ByteBuffer.wrap(frames, 0, length);
            }
            if (side == Direction.INBOUND) {
                return request(streamId, endStream, md, frames, length, block, blockLength, prefix, padding);
            }
            response(streamId, endStream, md);
            return ByteBuffer.wrap(frames, 0, length);
        } finally {
            conn.arrays().release(block);
        }
    }

    private ByteBuffer request(int streamId, boolean endStream, MetaData md, byte[] frames, int length,
                               byte[] block, int blockLength, int prefix, int padding) {
        ByteBuffer unchanged = ByteBuffer.wrap(frames, 0, length);
        if (!(md instanceof MetaData.Request r)) {
            if (endStream) { // trailers
                session.streamRequest(streamId, 0, true);
            }
            return unchanged;
        }
        Exchange e = null;
        byte[] text = requestHead(r);
        if (text != null) {
            try {
                if (head.parse(text, textLength, true) == null) {
                    e = session.openStream(streamId, head, editor);
                }
            } finally {
                conn.arrays().release(text);
            }
        }
        if (e == null) {
            return unchanged;
        }
        if (endStream) {
            session.streamRequest(streamId, 0, true);
        }
        if (editor.count() == 0) {
            return unchanged;
        }
        return edited(frames, length, block, blockLength, prefix, padding, r.getHttpFields());
    }

    private void response(int streamId, boolean endStream, MetaData md) {
        if (md instanceof MetaData.Response r) {
            int status = r.getStatus();
            if (status >= 200 || status == 101) {
                byte[] text = responseHead(r);
                if (text != null) {
                    try {
                        if (head.parse(text, textLength, false) == null) {
                            session.streamResponseHead(streamId, head);
                        }
                    } finally {
                        conn.arrays().release(text);
                    }
                }
            }
        }
        String grpcStatus = md.getHttpFields().get("grpc-status");
        if (grpcStatus != null) {
            String message = md.getHttpFields().get("grpc-message");
            if (message != null && message.length() > MAX_GRPC_MESSAGE) {
                message = message.substring(0, MAX_GRPC_MESSAGE);
            }
            session.streamGrpc(streamId, grpcCode(grpcStatus), message);
        }
        if (endStream) {
            session.streamResponse(streamId, 0, true);
        }
    }

    /** A grpc-status value as a number; anything but a small decimal is 2, UNKNOWN, as gRPC's clients read it. */
    static int grpcCode(String s) {
        if (s.isEmpty() || s.length() > 3) {
            return 2;
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return 2;
            }
            v = v * 10 + c - '0';
        }
        return v;
    }

    /** The request as an HTTP/1 head, for the exchange and netra's edits (which read HTTP/1 heads); null if it cannot be one. */
    private byte[] requestHead(MetaData.Request r) {
        HttpURI uri = r.getHttpURI();
        String method = r.getMethod();
        String authority = uri == null ? null : uri.getAuthority();
        String target = uri == null ? null : uri.getPathQuery();
        if (target == null || target.isEmpty()) {
            target = authority != null ? authority : "*";
        }
        HttpFields fields = r.getHttpFields();
        boolean host = authority != null && fields.get("host") == null;
        int n = method.length() + 1 + target.length() + 11 + (host ? 8 + authority.length() : 0) + fieldsLength(fields) + 2;
        if (n > 2 * conn.maxHeaderBytes()) {
            return null;
        }
        byte[] b = conn.arrays().acquire(n);
        int w = HttpHead.latin1(b, 0, method);
        b[w++] = ' ';
        w = HttpHead.latin1(b, w, target);
        w = HttpHead.latin1(b, w, " HTTP/1.1\r\n");
        if (host) {
            w = HttpHead.latin1(b, w, "host: ");
            w = HttpHead.latin1(b, w, authority);
            w = HttpHead.latin1(b, w, "\r\n");
        }
        return finish(b, w, fields);
    }

    private byte[] responseHead(MetaData.Response r) {
        HttpFields fields = r.getHttpFields();
        int n = 13 + 2 + fieldsLength(fields) + 2;
        if (n > 2 * conn.maxHeaderBytes()) {
            return null;
        }
        byte[] b = conn.arrays().acquire(n);
        int w = HttpHead.latin1(b, 0, "HTTP/1.1 ");
        int status = Math.min(Math.max(r.getStatus(), 0), 999);
        b[w++] = (byte) ('0' + status / 100);
        b[w++] = (byte) ('0' + status / 10 % 10);
        b[w++] = (byte) ('0' + status % 10);
        w = HttpHead.latin1(b, w, " \r\n");
        return finish(b, w, fields);
    }

    /** Writes the fields and the empty line; the head's length, in an array that may be longer, is {@link #textLength}. */
    private byte[] finish(byte[] b, int w, HttpFields fields) {
        for (HttpField f : fields) {
            w = HttpHead.latin1(b, w, f.getName());
            b[w++] = ':';
            b[w++] = ' ';
            w = HttpHead.latin1(b, w, f.getValue());
            b[w++] = '\r';
            b[w++] = '\n';
        }
        b[w++] = '\r';
        b[w++] = '\n';
        textLength = w;
        return b;
    }

    private static int fieldsLength(HttpFields fields) {
        int n = 0;
        for (HttpField f : fields) {
            n += f.getName().length() + 2 + f.getValue().length() + 2;
        }
        return n;
    }

    /**
     * The block with netra's edits: a field an edit replaces is removed where that leaves both
     * tables in step (an indexed-name or incrementally indexed copy stays, and so does the app's
     * value: the edit is not made), the edits are appended as literal fields without indexing, and
     * the block is laid out again in frames of the original sizes, the last ones as large as the
     * upstream accepts.
     */
    private ByteBuffer edited(byte[] frames, int length, byte[] block, int blockLength, int prefix, int padding,
                              HttpFields fields) {
        if (!representations(block, blockLength)) {
            error = HPACK_FAILED;
            return null;
        }
        int edits = editor.count();
        int appended = 0;
        for (int i = 0; i < edits; i++) {
            byte[] name = editor.lowerName(i);
            int carried = 0;
            for (HttpField f : fields) {
                if (nameIs(f.getName(), name)) {
                    carried++;
                }
            }
            int found = 0;
            for (int k = 0; k < reps; k++) {
                if (removable[k] && literalNameIs(block, k, name)) {
                    found++;
                }
            }
            append[i] = carried == found;
            if (!append[i]) {
                if (LogGate.debug()) {
                    Logger.debug("conn={} {} kept as the app sent it: its field is in the HPACK table",
                            session.id(), new String(name, java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                continue;
            }
            for (int k = 0; k < reps; k++) {
                if (removable[k] && literalNameIs(block, k, name)) {
                    remove[k] = true;
                }
            }
            appended += literalLength(name.length) + literalLength(editor.value(i).length());
            appended += 1;
        }
        byte[] edited = conn.arrays().acquire(blockLength + appended);
        try {
            int w = 0;
            int copied = 0;
            for (int k = 0; k < reps; k++) {
                if (remove[k]) {
                    System.arraycopy(block, copied, edited, w, repStart[k] - copied);
                    w += repStart[k] - copied;
                    copied = repEnd[k];
                }
            }
            System.arraycopy(block, copied, edited, w, blockLength - copied);
            w += blockLength - copied;
            for (int i = 0; i < edits; i++) {
                if (append[i]) {
                    edited[w++] = 0; // literal header field without indexing, new name (RFC 7541 §6.2.2)
                    w = literal(edited, w, editor.lowerName(i));
                    w = literal(edited, w, editor.value(i));
                }
            }
            return layout(frames, length, edited, w, prefix, padding);
        } finally {
            conn.arrays().release(edited);
        }
    }

    /**
     * Frames for {@code block}: the first frame keeps its own prefix (pad length, priority) and
     * padding, each frame but the original last one keeps its fragment size while the block lasts,
     * and the rest goes in frames as large as the upstream accepts.
     */
    private ByteBuffer layout(byte[] frames, int length, byte[] block, int blockLength, int prefix, int padding) {
        int max = conn.upstreamMaxFrame();
        byte[] out = new byte[length + blockLength + HEADER_BYTES * (blockLength / Http2Connection.DEFAULT_MAX_FRAME + 2)];
        int w = 0;
        int r = 0; // next block byte
        int p = 0; // next original frame
        for (int i = 0; ; i++) {
            boolean first = i == 0;
            int overhead = first ? prefix + padding : 0;
            int room = max - overhead;
            if (p < length) {
                int len = Http2Framer.int24(frames, p);
                p += HEADER_BYTES + len;
                if (p < length) {
                    room = len - overhead;
                }
            }
            int take = Math.min(Math.max(room, 1), blockLength - r);
            boolean last = r + take >= blockLength;
            int frameLength = overhead + take;
            out[w] = (byte) (frameLength >>> 16);
            out[w + 1] = (byte) (frameLength >>> 8);
            out[w + 2] = (byte) frameLength;
            out[w + 3] = first ? frames[3] : Http2Framer.CONTINUATION;
            int flags = first ? frames[4] & ~END_HEADERS : 0;
            out[w + 4] = (byte) (last ? flags | END_HEADERS : flags);
            System.arraycopy(frames, 5, out, w + 5, 4); // the stream id
            w += HEADER_BYTES;
            if (first) {
                System.arraycopy(frames, HEADER_BYTES, out, w, prefix);
                w += prefix;
            }
            System.arraycopy(block, r, out, w, take);
            w += take;
            r += take;
            if (first) {
                w += padding; // padding is zeros (RFC 9113 §6.1), as the new array is
            }
            if (last) {
                return ByteBuffer.wrap(out, 0, w);
            }
        }
    }

    /** Walks the block's representations (RFC 7541 §6); false when they do not parse. */
    private boolean representations(byte[] b, int length) {
        reps = 0;
        int p = 0;
        try {
            while (p < length) {
                int start = p;
                int first = b[p] & 0xff;
                if ((first & 0xe0) == 0x20) { // dynamic table size update: no field
                    p = skipInt(b, p, 5, length);
                    continue;
                }
                grow();
                repStart[reps] = start;
                nameLength[reps] = -1;
                removable[reps] = false;
                remove[reps] = false;
                if ((first & 0x80) != 0) { // indexed field
                    p = skipInt(b, p, 7, length);
                } else {
                    int prefixBits = (first & 0x40) != 0 ? 6 : 4;
                    boolean nameIndexed = (first & (prefixBits == 6 ? 0x3f : 0x0f)) != 0;
                    p = skipInt(b, p, prefixBits, length);
                    if (!nameIndexed) {
                        nameHuffman[reps] = (b[p] & 0x80) != 0;
                        int len = readInt(b, p, 7, length);
                        p = skipInt(b, p, 7, length);
                        nameStart[reps] = p;
                        nameLength[reps] = len;
                        p += len;
                    }
                    int len = readInt(b, p, 7, length);
                    p = skipInt(b, p, 7, length) + len;
                    removable[reps] = prefixBits == 4 && !nameIndexed; // without indexing, or never indexed
                }
                if (p > length) {
                    return false;
                }
                repEnd[reps++] = p;
            }
            return true;
        } catch (ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }

    private void grow() {
        if (reps < repStart.length) {
            return;
        }
        int n = reps * 2;
        repStart = java.util.Arrays.copyOf(repStart, n);
        repEnd = java.util.Arrays.copyOf(repEnd, n);
        nameStart = java.util.Arrays.copyOf(nameStart, n);
        nameLength = java.util.Arrays.copyOf(nameLength, n);
        nameHuffman = java.util.Arrays.copyOf(nameHuffman, n);
        removable = java.util.Arrays.copyOf(removable, n);
        remove = java.util.Arrays.copyOf(remove, n);
    }

    private static int readInt(byte[] b, int p, int bits, int length) {
        int mask = (1 << bits) - 1;
        int v = b[p] & mask;
        if (v < mask) {
            return v;
        }
        int shift = 0;
        int i = p + 1;
        while (true) {
            if (i >= length || shift > 21) {
                throw new ArrayIndexOutOfBoundsException("HPACK integer");
            }
            int c = b[i++] & 0xff;
            v += (c & 0x7f) << shift;
            if ((c & 0x80) == 0) {
                return v;
            }
            shift += 7;
        }
    }

    private static int skipInt(byte[] b, int p, int bits, int length) {
        int mask = (1 << bits) - 1;
        if ((b[p] & mask) < mask) {
            return p + 1;
        }
        int i = p + 1;
        while (i < length && (b[i] & 0x80) != 0) {
            i++;
        }
        if (i >= length) {
            throw new ArrayIndexOutOfBoundsException("HPACK integer");
        }
        return i + 1;
    }

    private boolean literalNameIs(byte[] block, int k, byte[] name) {
        int len = nameLength[k];
        if (len < 0) {
            return false;
        }
        byte[] expected = nameHuffman[k] ? huffman(name) : name;
        return java.util.Arrays.equals(block, nameStart[k], nameStart[k] + len, expected, 0, expected.length);
    }

    private byte[] huffman(byte[] name) {
        byte[] h = huffmanNames.get(name);
        if (h == null) {
            String s = new String(name, java.nio.charset.StandardCharsets.ISO_8859_1);
            ByteBuffer buf = ByteBuffer.allocate(HuffmanEncoder.octetsNeeded(s));
            HuffmanEncoder.encode(buf, s);
            h = buf.array();
            if (huffmanNames.size() < 64) {
                huffmanNames.put(name, h);
            }
        }
        return h;
    }

    private static boolean nameIs(String s, byte[] lower) {
        if (s.length() != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower[i]) {
                return false;
            }
        }
        return true;
    }

    private static int literalLength(int n) {
        return (n < 127 ? 1 : n < 127 + 128 ? 2 : n < 127 + 16384 ? 3 : 4) + n;
    }

    /** A string literal, not Huffman coded: 7-bit prefix length, then the bytes. */
    private static int literal(byte[] out, int w, byte[] s) {
        w = length(out, w, s.length);
        System.arraycopy(s, 0, out, w, s.length);
        return w + s.length;
    }

    private static int literal(byte[] out, int w, String s) {
        w = length(out, w, s.length());
        return HttpHead.latin1(out, w, s);
    }

    private static int length(byte[] out, int w, int n) {
        if (n < 127) {
            out[w++] = (byte) n;
            return w;
        }
        out[w++] = 127;
        n -= 127;
        while (n >= 128) {
            out[w++] = (byte) (n & 0x7f | 0x80);
            n >>>= 7;
        }
        out[w++] = (byte) n;
        return w;
    }
}
