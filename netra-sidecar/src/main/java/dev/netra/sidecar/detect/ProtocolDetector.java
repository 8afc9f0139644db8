package dev.netra.sidecar.detect;

import java.nio.ByteBuffer;

/**
 * Tells the protocol by the first bytes a client sends, and whether the start of a message
 * head can still be an HTTP/1 request line or status line. Looks, never consumes; allocates nothing.
 */
public final class ProtocolDetector {
    /** The longest method token taken for HTTP/1. */
    private static final int MAX_METHOD = 20;
    /** HTTP/2's client connection preface (RFC 9113 §3.4). Shared, never written to. */
    public static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] STATUS_LINE = "HTTP/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private ProtocolDetector() {
    }

    /** The protocol {@code bytes[position..limit)} start, or null when they cannot tell yet. */
    public static Protocol detect(ByteBuffer bytes) {
        int p = bytes.position();
        int n = bytes.limit() - p;
        if (n == 0) {
            return null;
        }
        byte first = bytes.get(p);
        if (first == 0x16) {
            return n < 2 ? null : bytes.get(p + 1) == 0x03 ? Protocol.TLS : Protocol.OPAQUE;
        }
        if (first == 'P' && startsWith(bytes, HTTP2_PREFACE)) {
            if (n < HTTP2_PREFACE.length) {
                return null;
            }
            return Protocol.HTTP2;
        }
        return requestLine(bytes);
    }

    /**
     * Whether {@code bytes} can start an HTTP/1 request line: HTTP1 once a method token and a
     * space came, OPAQUE once they cannot, null while they may still.
     */
    public static Protocol requestLine(ByteBuffer bytes) {
        int start = bytes.position();
        int p = start;
        while (p < bytes.limit()) {
            byte b = bytes.get(p);
            if (b == ' ') {
                return p == start ? Protocol.OPAQUE : Protocol.HTTP1;
            }
            if (!(b >= 'A' && b <= 'Z' || b == '-' || b == '_') || p - start >= MAX_METHOD) {
                return Protocol.OPAQUE;
            }
            p++;
        }
        return null;
    }

    /** Whether {@code bytes} can start an HTTP/1 status line ("HTTP/"): false once they cannot. */
    public static boolean statusLinePossible(ByteBuffer bytes) {
        return startsWith(bytes, STATUS_LINE);
    }

    /** Whether the bytes there and {@code expected} agree as far as both go. */
    private static boolean startsWith(ByteBuffer bytes, byte[] expected) {
        int n = Math.min(bytes.remaining(), expected.length);
        for (int i = 0; i < n; i++) {
            if (bytes.get(bytes.position() + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code bytes} start with a SETTINGS frame on stream 0, as an HTTP/2 server's preface
     * does (RFC 9113 §3.4): a server that sends it at once is not one that speaks first.
     */
    public static boolean http2ServerPreface(ByteBuffer bytes) {
        if (bytes.remaining() < 9) {
            return false;
        }
        int p = bytes.position();
        int length = (bytes.get(p) & 0xff) << 16 | (bytes.get(p + 1) & 0xff) << 8 | bytes.get(p + 2) & 0xff;
        return bytes.get(p + 3) == 4 && bytes.get(p + 4) == 0 && bytes.getInt(p + 5) == 0 && length % 6 == 0;
    }
}
