package dev.netra.sidecar.http;

import java.nio.charset.StandardCharsets;

/**
 * A parsed request or status line and header block, as offsets into the raw bytes it was read
 * from (Jetty-style: nothing is copied or allocated per header). Reused for every message of a
 * connection direction; {@link #parse} fills it in place.
 */
public final class HttpHead {
    /** Headers per message at most; more is a parse error (and the connection goes opaque). */
    public static final int MAX_HEADERS = 256;
    private static final int INITIAL_HEADERS = 32;

    private static final byte[] HTTP_SLASH = "HTTP/".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_LENGTH = bytes("content-length");
    private static final byte[] TRANSFER_ENCODING = bytes("transfer-encoding");
    private static final byte[] CONNECTION = bytes("connection");
    private static final byte[] UPGRADE = bytes("upgrade");
    private static final byte[] HOST = bytes("host");
    private static final byte[] CHUNKED = bytes("chunked");
    private static final byte[] CLOSE = bytes("close");
    private static final byte[] KEEP_ALIVE = bytes("keep-alive");

    private byte[] buf;
    private int length;
    private boolean request;
    // start line: request = method SP target SP version; response = version SP status SP reason
    private int part1End;
    private int part2Start;
    private int part2End;
    private int part3Start;
    private int part3End;
    private int versionMajor;
    private int versionMinor;
    private int status;
    private int headerCount;
    // Sized for common messages and grown (up to MAX_HEADERS) by the first one with more: two of
    // these live per connection, so their size is multiplied by every open connection.
    private int[] nameStart = new int[INITIAL_HEADERS];
    private int[] nameEnd = new int[INITIAL_HEADERS];
    private int[] valueStart = new int[INITIAL_HEADERS];
    private int[] valueEnd = new int[INITIAL_HEADERS];
    private int[] lineEnd = new int[INITIAL_HEADERS];
    private int bodyStart;

    /**
     * Parses a complete head (ending with an empty line) held in {@code buf[0..length)}.
     *
     * @return null when it is a valid message head, else why not (a short reason, for metrics)
     */
    public String parse(byte[] buf, int length, boolean request) {
        this.buf = buf;
        this.length = length;
        this.request = request;
        this.headerCount = 0;
        this.status = 0;
        int eol = lineEnd(0);
        if (eol < 0) {
            return eol == -1 ? "no start line" : "bare CR";
        }
        String error = request ? requestLine(eol) : statusLine(eol);
        if (error != null) {
            return error;
        }
        int pos = next(eol);
        while (true) {
            int end = lineEnd(pos);
            if (end < 0) {
                return end == -1 ? "unterminated header block" : "bare CR";
            }
            if (end == pos) {
                bodyStart = next(end);
                return null;
            }
            if (headerCount == MAX_HEADERS) {
                return "too many headers";
            }
            error = headerLine(pos, end);
            if (error != null) {
                return error;
            }
            pos = next(end);
        }
    }

    private String requestLine(int eol) {
        int p = 0;
        while (p < eol && isToken(buf[p])) {
            p++;
        }
        if (p == 0 || p >= eol || buf[p] != ' ') {
            return "bad method";
        }
        part1End = p;
        part2Start = ++p;
        while (p < eol && buf[p] != ' ') {
            if (isCtl(buf[p])) {
                return "bad request target";
            }
            p++;
        }
        if (p == part2Start || p >= eol) {
            return "bad request target";
        }
        part2End = p;
        part3Start = p + 1;
        part3End = eol;
        return version(part3Start, part3End) ? null : "bad version";
    }

    private String statusLine(int eol) {
        int p = 0;
        while (p < eol && buf[p] != ' ') {
            p++;
        }
        if (!version(0, p)) {
            return "bad version";
        }
        part1End = p;
        part2Start = p + 1;
        if (part2Start + 3 > eol) {
            return "bad status";
        }
        int s = 0;
        for (int i = part2Start; i < part2Start + 3; i++) {
            if (buf[i] < '0' || buf[i] > '9') {
                return "bad status";
            }
            s = s * 10 + buf[i] - '0';
        }
        if (s < 100) {
            return "bad status";
        }
        part2End = part2Start + 3;
        if (part2End < eol && buf[part2End] != ' ') {
            return "bad status";
        }
        status = s;
        part3Start = Math.min(part2End + 1, eol);
        part3End = eol;
        for (int i = part3Start; i < part3End; i++) {
            if (isCtl(buf[i]) && buf[i] != '\t') {
                return "bad reason phrase";
            }
        }
        return null;
    }

    private boolean version(int from, int to) {
        if (to - from != 8 || !regionEquals(from, HTTP_SLASH, false) || buf[from + 6] != '.') {
            return false;
        }
        int major = buf[from + 5] - '0';
        int minor = buf[from + 7] - '0';
        if (major != 1 || minor < 0 || minor > 9) {
            return false;
        }
        versionMajor = major;
        versionMinor = minor;
        return true;
    }

    private String headerLine(int pos, int end) {
        if (buf[pos] == ' ' || buf[pos] == '\t') {
            return "obsolete line folding";
        }
        int p = pos;
        while (p < end && isToken(buf[p])) {
            p++;
        }
        if (p == pos || p >= end || buf[p] != ':') {
            return "bad header name";
        }
        int i = headerCount;
        if (i == nameStart.length) {
            grow();
        }
        nameStart[i] = pos;
        nameEnd[i] = p;
        p++;
        while (p < end && (buf[p] == ' ' || buf[p] == '\t')) {
            p++;
        }
        int vs = p;
        int ve = end;
        while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) {
            ve--;
        }
        for (int k = vs; k < ve; k++) {
            if (isCtl(buf[k]) && buf[k] != '\t') {
                return "bad header value";
            }
        }
        valueStart[i] = vs;
        valueEnd[i] = ve;
        lineEnd[i] = end;
        headerCount++;
        return null;
    }

    private void grow() {
        int n = Math.min(MAX_HEADERS, nameStart.length * 2);
        nameStart = java.util.Arrays.copyOf(nameStart, n);
        nameEnd = java.util.Arrays.copyOf(nameEnd, n);
        valueStart = java.util.Arrays.copyOf(valueStart, n);
        valueEnd = java.util.Arrays.copyOf(valueEnd, n);
        lineEnd = java.util.Arrays.copyOf(lineEnd, n);
    }

    /** Index of the CR (of CRLF) or LF ending the line that starts at {@code from}, or -1. */
    private int lineEnd(int from) {
        for (int i = from; i < length; i++) {
            byte b = buf[i];
            if (b == '\n') {
                return i;
            }
            if (b == '\r') {
                return i + 1 < length && buf[i + 1] == '\n' ? i : -2 - i;
            }
        }
        return -1;
    }

    private int next(int eol) {
        return buf[eol] == '\r' ? eol + 2 : eol + 1;
    }

    // ---- the view --------------------------------------------------------------------------

    public byte[] bytes() {
        return buf;
    }

    /** Length of the head, empty line included. */
    public int length() {
        return bodyStart;
    }

    public boolean isRequest() {
        return request;
    }

    public int headerCount() {
        return headerCount;
    }

    public int status() {
        return status;
    }

    public int versionMinor() {
        return versionMinor;
    }

    private static final String[] VERSIONS = {"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9"};
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    private static final byte[][] METHOD_BYTES = java.util.Arrays.stream(METHODS)
            .map(m -> m.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    /** "1.1" or "1.0". */
    public String version() {
        return VERSIONS[versionMinor];
    }

    public boolean methodIs(byte[] upperCaseMethod) {
        return part1End == upperCaseMethod.length && regionEquals(0, upperCaseMethod, false);
    }

    /** The method; the standard ones without allocating. */
    public String method() {
        for (int i = 0; i < METHOD_BYTES.length; i++) {
            if (methodIs(METHOD_BYTES[i])) {
                return METHODS[i];
            }
        }
        return new String(buf, 0, part1End, StandardCharsets.ISO_8859_1);
    }

    public String target() {
        return new String(buf, part2Start, part2End - part2Start, StandardCharsets.ISO_8859_1);
    }

    public String name(int i) {
        return new String(buf, nameStart[i], nameEnd[i] - nameStart[i], StandardCharsets.ISO_8859_1);
    }

    public String value(int i) {
        return new String(buf, valueStart[i], valueEnd[i] - valueStart[i], StandardCharsets.ISO_8859_1);
    }

    /** Start of header line {@code i} in {@link #bytes()}. */
    public int lineStart(int i) {
        return nameStart[i];
    }

    /** End of header line {@code i}, its line break included. */
    public int lineEndWithBreak(int i) {
        return next(lineEnd[i]);
    }

    /** Offset of the empty line that ends the head: where headers are added. */
    public int endOfHeaders() {
        return headerCount == 0 ? next(lineEnd(0)) : next(lineEnd[headerCount - 1]);
    }

    /** True when header {@code i}'s name equals {@code lowerCaseName}, ignoring case. */
    public boolean nameIs(int i, byte[] lowerCaseName) {
        return nameEnd[i] - nameStart[i] == lowerCaseName.length && regionEquals(nameStart[i], lowerCaseName, true);
    }

    /** True when the name of header {@code i} starts with {@code lowerCasePrefix}, ignoring case. */
    public boolean nameStartsWith(int i, byte[] lowerCasePrefix) {
        return nameEnd[i] - nameStart[i] >= lowerCasePrefix.length && regionEquals(nameStart[i], lowerCasePrefix, true);
    }

    /** Index of the first header with that name, or -1. */
    public int indexOf(byte[] lowerCaseName) {
        for (int i = 0; i < headerCount; i++) {
            if (nameIs(i, lowerCaseName)) {
                return i;
            }
        }
        return -1;
    }

    /** The first value of a header, or null. */
    public String value(byte[] lowerCaseName) {
        int i = indexOf(lowerCaseName);
        return i < 0 ? null : value(i);
    }

    public String host() {
        return value(HOST);
    }

    /**
     * The first value of a header in a head that has already been parsed successfully (so its
     * lines are known to be well formed), found by scanning it: nothing is allocated but the
     * value. Listeners use this after the exchange, when the framer's parsed view is gone.
     */
    public static String find(byte[] buf, int length, byte[] lowerCaseName) {
        int pos = skipLine(buf, length, 0);
        while (pos < length) {
            int eol = pos;
            while (eol < length && buf[eol] != '\n') {
                eol++;
            }
            int end = eol > pos && buf[eol - 1] == '\r' ? eol - 1 : eol;
            if (end == pos) {
                return null;
            }
            int n = lowerCaseName.length;
            if (pos + n < end && buf[pos + n] == ':' && regionEquals(buf, length, pos, lowerCaseName, true)) {
                int vs = pos + n + 1;
                while (vs < end && (buf[vs] == ' ' || buf[vs] == '\t')) {
                    vs++;
                }
                int ve = end;
                while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) {
                    ve--;
                }
                return new String(buf, vs, ve - vs, StandardCharsets.ISO_8859_1);
            }
            pos = eol + 1;
        }
        return null;
    }

    private static int skipLine(byte[] buf, int length, int from) {
        int i = from;
        while (i < length && buf[i] != '\n') {
            i++;
        }
        return i + 1;
    }

    /**
     * The Content-Length, -1 when absent, or -2 when invalid or given twice with different values
     * (a message a proxy must not guess about).
     */
    public long contentLength() {
        long result = -1;
        for (int i = 0; i < headerCount; i++) {
            if (!nameIs(i, CONTENT_LENGTH)) {
                continue;
            }
            // a list of identical values ("5, 5") is allowed by RFC 9110
            long v = -1;
            int p = valueStart[i];
            while (p < valueEnd[i]) {
                long item = 0;
                int digits = 0;
                while (p < valueEnd[i] && buf[p] >= '0' && buf[p] <= '9') {
                    if (++digits > 18) {
                        return -2;
                    }
                    item = item * 10 + buf[p++] - '0';
                }
                if (digits == 0 || (v >= 0 && v != item)) {
                    return -2;
                }
                v = item;
                while (p < valueEnd[i] && (buf[p] == ' ' || buf[p] == '\t')) {
                    p++;
                }
                if (p < valueEnd[i]) {
                    if (buf[p] != ',') {
                        return -2;
                    }
                    p++;
                    while (p < valueEnd[i] && (buf[p] == ' ' || buf[p] == '\t')) {
                        p++;
                    }
                }
            }
            if (v < 0 || (result >= 0 && result != v)) {
                return -2;
            }
            result = v;
        }
        return result;
    }

    /** 0: no Transfer-Encoding; 1: its last coding is chunked; -1: present but not ending in chunked. */
    public int transferEncoding() {
        int result = 0;
        for (int i = 0; i < headerCount; i++) {
            if (nameIs(i, TRANSFER_ENCODING)) {
                result = lastTokenIs(i, CHUNKED) ? 1 : -1;
            }
        }
        return result;
    }

    /** True when a Connection header lists {@code token} (case-insensitive, e.g. "keep-alive, Upgrade"). */
    public boolean connectionHas(byte[] lowerCaseToken) {
        for (int i = 0; i < headerCount; i++) {
            if (nameIs(i, CONNECTION) && listHas(i, lowerCaseToken)) {
                return true;
            }
        }
        return false;
    }

    public boolean hasUpgrade() {
        return indexOf(UPGRADE) >= 0 && connectionHas(UPGRADE);
    }

    /** Whether the connection stays open after this message (RFC 9112 section 9.3). */
    public boolean keepAlive() {
        if (connectionHas(CLOSE)) {
            return false;
        }
        return versionMinor >= 1 || connectionHas(KEEP_ALIVE);
    }

    private boolean listHas(int i, byte[] token) {
        int p = valueStart[i];
        int end = valueEnd[i];
        while (p < end) {
            while (p < end && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == ',')) {
                p++;
            }
            int s = p;
            while (p < end && buf[p] != ',' && buf[p] != ' ' && buf[p] != '\t' && buf[p] != ';') {
                p++;
            }
            if (p - s == token.length && regionEqualsAt(s, token)) {
                return true;
            }
            while (p < end && buf[p] != ',') {
                p++;
            }
        }
        return false;
    }

    private boolean lastTokenIs(int i, byte[] token) {
        int end = valueEnd[i];
        int s = end;
        while (s > valueStart[i] && buf[s - 1] != ',' && buf[s - 1] != ' ' && buf[s - 1] != '\t') {
            s--;
        }
        return end - s == token.length && regionEqualsAt(s, token);
    }

    private boolean regionEqualsAt(int from, byte[] lower) {
        return regionEquals(from, lower, true);
    }

    private boolean regionEquals(int from, byte[] expected, boolean ignoreCase) {
        return regionEquals(buf, length, from, expected, ignoreCase);
    }

    private static boolean regionEquals(byte[] buf, int length, int from, byte[] expected, boolean ignoreCase) {
        if (from + expected.length > length) {
            return false;
        }
        for (int k = 0; k < expected.length; k++) {
            byte b = buf[from + k];
            if (ignoreCase && b >= 'A' && b <= 'Z') {
                b += 32;
            }
            if (b != expected[k]) {
                return false;
            }
        }
        return true;
    }

    static boolean isToken(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
                || b == '!' || b == '#' || b == '$' || b == '%' || b == '&' || b == '\'' || b == '*'
                || b == '+' || b == '-' || b == '.' || b == '^' || b == '_' || b == '`' || b == '|' || b == '~';
    }

    private static boolean isCtl(byte b) {
        return b >= 0 && b < 0x20 || b == 0x7f;
    }

    /** Lower-case ASCII bytes of a header name or token, for the lookups above. */
    public static byte[] bytes(String lowerCase) {
        return lowerCase.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes the low 8 bits of each of {@code s}'s characters into {@code to} from {@code at} (a
     * head's text is Latin-1) and returns where they end: the JDK's copy of a Latin-1 string's
     * bytes, not a loop over its characters. {@code to} has room for them.
     */
    @SuppressWarnings("deprecation")
    public static int latin1(byte[] to, int at, String s) {
        s.getBytes(0, s.length(), to, at);
        return at + s.length();
    }
}
