package dev.netra.sidecar.detect;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The name a TLS client asks for (SNI) and the protocols it offers (ALPN), read from the
 * ClientHello among the bytes the detect stage already has (RFC 8446 4.1.2, RFC 6066 3, RFC 7301
 * 3.1). Only reads: the bytes are replayed as they came. A ClientHello spread over more bytes than
 * are at hand, or anything that is not one, gives what could be read, or {@link #NONE}.
 *
 * @param serverName the host name, or null
 * @param alpn       the protocols offered, in the client's order (at most {@value #MAX_PROTOCOLS})
 */
public record ClientHello(String serverName, List<String> alpn) {
    public static final ClientHello NONE = new ClientHello(null, List.of());
    static final int MAX_PROTOCOLS = 8;
    private static final int MAX_NAME = 255;

    /** Reads {@code b[position, limit)} without moving it. */
    public static ClientHello of(ByteBuffer b) {
        try {
            return parse(b);
        } catch (IndexOutOfBoundsException e) {
            return NONE; // a length that points past what is here
        }
    }

    private static ClientHello parse(ByteBuffer b) {
        int p = b.position();
        int end = b.limit();
        // TLS record: type 22 (handshake), version, length; then handshake type 1 (ClientHello) and its length
        if (end - p < 9 || b.get(p) != 22 || b.get(p + 5) != 1) {
            return NONE;
        }
        end = Math.min(end, p + 5 + u16(b, p + 3)); // the first record
        int i = p + 9;
        i += 2 + 32; // client version, random
        i += 1 + u8(b, i); // session id
        i += 2 + u16(b, i); // cipher suites
        i += 1 + u8(b, i); // compression methods
        if (i + 2 > end) {
            return NONE;
        }
        int extensionsEnd = Math.min(end, i + 2 + u16(b, i));
        i += 2;
        String name = null;
        List<String> alpn = List.of();
        while (i + 4 <= extensionsEnd) {
            int type = u16(b, i);
            int length = u16(b, i + 2);
            int body = i + 4;
            if (body + length > extensionsEnd) {
                break; // the rest is in bytes not read yet
            }
            if (type == 0 && length >= 5 && u8(b, body + 2) == 0) { // server_name: list, host_name (0)
                int n = u16(b, body + 3);
                if (n > 0 && n <= MAX_NAME && body + 5 + n <= body + length) {
                    name = ascii(b, body + 5, n);
                }
            } else if (type == 16 && length >= 2) { // application_layer_protocol_negotiation
                List<String> offered = new ArrayList<>();
                int j = body + 2;
                int listEnd = Math.min(body + length, j + u16(b, body));
                while (j < listEnd && offered.size() < MAX_PROTOCOLS) {
                    int n = u8(b, j);
                    if (n == 0 || j + 1 + n > listEnd) {
                        break;
                    }
                    offered.add(ascii(b, j + 1, n));
                    j += 1 + n;
                }
                alpn = List.copyOf(offered);
            }
            i = body + length;
        }
        return name == null && alpn.isEmpty() ? NONE : new ClientHello(name, alpn);
    }

    private static int u8(ByteBuffer b, int i) {
        return b.get(i) & 0xFF;
    }

    private static int u16(ByteBuffer b, int i) {
        return (b.get(i) & 0xFF) << 8 | b.get(i + 1) & 0xFF;
    }

    /** Printable ASCII as it is, anything else as '?': the name goes to a log line and a label. */
    private static String ascii(ByteBuffer b, int from, int n) {
        byte[] bytes = new byte[n];
        for (int k = 0; k < n; k++) {
            byte c = b.get(from + k);
            bytes[k] = c >= 0x21 && c < 0x7F ? c : (byte) '?';
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
