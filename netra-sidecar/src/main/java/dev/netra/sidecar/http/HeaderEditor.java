package dev.netra.sidecar.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Collects header edits for one message and writes the edited head: the original bytes, minus
 * the lines of replaced headers, plus the new lines just before the empty line. Everything else
 * (case, order, spacing, line ends of other headers) stays byte for byte. Reused per direction.
 */
public final class HeaderEditor {
    private static final int MAX_EDITS = 16;

    private final byte[][] names = new byte[MAX_EDITS][];
    private final String[] displayNames = new String[MAX_EDITS];
    private final String[] values = new String[MAX_EDITS];
    private final boolean[] written = new boolean[MAX_EDITS];
    private final HeadArrays arrays;
    private int count;
    private byte[] out;

    HeaderEditor(HeadArrays arrays) {
        this.arrays = arrays;
    }

    /** Gives the output array back; nothing written from it may still be waiting. */
    void release() {
        arrays.release(out);
        out = null;
    }

    void reset() {
        for (int i = 0; i < count; i++) {
            values[i] = null;
        }
        count = 0;
    }

    /** Replaces every header named {@code name} (case-insensitive) with one line {@code name: value}. */
    public void set(HeaderName name, String value) {
        for (int i = 0; i < count; i++) {
            if (names[i] == name.lower()) {
                values[i] = value;
                return;
            }
        }
        if (count == MAX_EDITS) {
            throw new IllegalStateException("more than " + MAX_EDITS + " header edits");
        }
        names[count] = name.lower();
        displayNames[count] = name.display();
        values[count++] = value;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** The edits collected: how many, and each one's lower-case name and value (HTTP/2 appends them as fields). */
    public int count() {
        return count;
    }

    public byte[] lowerName(int i) {
        return names[i];
    }

    public String value(int i) {
        return values[i];
    }

    /**
     * The edited head, ready to write (position 0, limit its length). A replaced header keeps the
     * place and the name spelling of its first occurrence; further occurrences go; new headers
     * go just before the empty line.
     */
    ByteBuffer apply(HttpHead head) {
        int need = head.length();
        for (int i = 0; i < count; i++) {
            need += displayNames[i].length() + values[i].length() + 4;
        }
        if (out == null || out.length < need) {
            arrays.release(out);
            out = arrays.acquire(need);
        }
        byte[] src = head.bytes();
        boolean[] done = written;
        java.util.Arrays.fill(done, 0, count, false);
        int w = 0;
        int copied = 0;
        for (int h = 0; h < head.headerCount(); h++) {
            int edit = editFor(head, h);
            if (edit < 0) {
                continue;
            }
            int s = head.lineStart(h);
            System.arraycopy(src, copied, out, w, s - copied);
            w += s - copied;
            copied = head.lineEndWithBreak(h);
            if (!done[edit]) {
                done[edit] = true;
                int nameEnd = s + names[edit].length;
                System.arraycopy(src, s, out, w, nameEnd - s);
                w += nameEnd - s;
                out[w++] = ':';
                out[w++] = ' ';
                w = HttpHead.latin1(out, w, values[edit]);
                out[w++] = '\r';
                out[w++] = '\n';
            }
        }
        int end = head.endOfHeaders();
        System.arraycopy(src, copied, out, w, end - copied);
        w += end - copied;
        for (int i = 0; i < count; i++) {
            if (done[i]) {
                continue;
            }
            w = HttpHead.latin1(out, w, displayNames[i]);
            out[w++] = ':';
            out[w++] = ' ';
            w = HttpHead.latin1(out, w, values[i]);
            out[w++] = '\r';
            out[w++] = '\n';
        }
        System.arraycopy(src, end, out, w, head.length() - end);
        w += head.length() - end;
        return ByteBuffer.wrap(out, 0, w);
    }

    private int editFor(HttpHead head, int h) {
        for (int i = 0; i < count; i++) {
            if (head.nameIs(h, names[i])) {
                return i;
            }
        }
        return -1;
    }

    /** A header name as written and as compared (lower case), built once at start-up. */
    public record HeaderName(String display, byte[] lower) {
        public static HeaderName of(String name) {
            return new HeaderName(name, name.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
        }
    }
}
