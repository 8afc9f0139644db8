package dev.netra.sidecar.http;

import java.nio.ByteBuffer;

/** Tells HTTP/1 from anything else by the first bytes a client sends: a method token and a space. */
public final class ProtocolDetector {
    /** What the bytes so far say. */
    public enum Verdict { HTTP, OPAQUE, NEED_MORE }

    private static final int MAX_METHOD = 20;

    private ProtocolDetector() {
    }

    /** Looks at {@code bytes[position..limit)} without consuming them. */
    public static Verdict detect(ByteBuffer bytes) {
        int p = bytes.position();
        int n = 0;
        while (p < bytes.limit()) {
            byte b = bytes.get(p++);
            if (b == ' ') {
                // "PRI * HTTP/2.0" is the HTTP/2 preface: not ours to parse
                return n == 0 || n == 3 && bytes.get(bytes.position()) == 'P' && bytes.get(bytes.position() + 1) == 'R'
                        && bytes.get(bytes.position() + 2) == 'I' ? Verdict.OPAQUE : Verdict.HTTP;
            }
            if (!(b >= 'A' && b <= 'Z' || b == '-' || b == '_') || ++n > MAX_METHOD) {
                return Verdict.OPAQUE;
            }
        }
        return Verdict.NEED_MORE;
    }
}
