package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.HeaderEditor.HeaderName;

import java.util.concurrent.ThreadLocalRandom;

/**
 * netramesh's two edits: a request id (UUID) on every request that has none, and the X-Source
 * header on every outbound request (overwriting the app's value, as netramesh 0.10 does).
 */
public final class RequestIdEdits implements HeaderEdits {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final HeaderName requestId;
    private final HeaderName xSource;
    private final String xSourceValue;

    public RequestIdEdits(String requestIdHeader, String xSourceHeader, String xSourceValue) {
        this.requestId = HeaderName.of(requestIdHeader);
        this.xSource = HeaderName.of(xSourceHeader);
        this.xSourceValue = xSourceValue;
    }

    @Override
    public void edit(HttpHead head, Exchange exchange, HeaderEditor editor) {
        int at = head.indexOf(requestId.lower());
        if (at >= 0) {
            exchange.requestId(head.value(at));
        } else {
            String id = uuid();
            exchange.requestId(id);
            editor.set(requestId, id);
        }
        if (exchange.direction() == Direction.OUTBOUND) {
            editor.set(xSource, xSourceValue);
        }
    }

    /** A random (version 4) UUID, without SecureRandom's cost on the request path. */
    static String uuid() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = r.nextLong() & ~0xf000L | 0x4000L;
        long lo = r.nextLong() & 0x3fffffffffffffffL | 0x8000000000000000L;
        char[] c = new char[36];
        int p = 0;
        for (int i = 0; i < 32; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20) {
                c[p++] = '-';
            }
            long word = i < 16 ? hi : lo;
            int shift = 60 - 4 * (i % 16);
            c[p++] = HEX[(int) (word >>> shift) & 0xf];
        }
        return new String(c);
    }
}
