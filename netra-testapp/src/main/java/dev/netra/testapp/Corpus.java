package dev.netra.testapp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Raw HTTP/1 conversations for the transparency suite: the client's bytes and the server's
 * answer, sent once directly and once through netra; both sides must see the same bytes (the
 * server: except netra's documented header edits).
 *
 * @param parsed whether netra parses it (false: it must go on as raw bytes)
 */
public record Corpus(String name, byte[] client, byte[] server, boolean parsed) {

    public static List<Corpus> cases() {
        return List.of(
                http("keep-alive", "GET /a?x=1 HTTP/1.1\r\nHost: svc\r\n\r\nGET /b HTTP/1.1\r\nHost: svc\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"),
                new Corpus("pipelined-50", repeat("GET /p HTTP/1.1\r\nHost: svc\r\nX-Request-Id: fixed\r\n\r\n", 50),
                        repeat("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 50), true),
                http("chunked-extensions-trailers",
                        "POST /up HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "5;name=\"v\"\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
                        "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nTrailer-A: x\r\n\r\n"),
                new Corpus("chunked-1MiB-body", concat(ascii("POST /big HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n"),
                        chunks(1 << 20, 7), ascii("0\r\n\r\n")),
                        concat(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"), random(1 << 20, 8)), true),
                // long bodies of known length, each followed by a small message: a sidecar splices such
                // a body once its reads keep filling the buffer, and frames what follows
                new Corpus("length-2MiB-bodies-then-more", concat(
                        ascii("POST /up HTTP/1.1\r\nHost: svc\r\nContent-Length: 2097152\r\n\r\n"), random(2 << 20, 15),
                        ascii("GET /after HTTP/1.1\r\nHost: svc\r\n\r\n")),
                        concat(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n"), random(2 << 20, 16),
                                ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter")), true),
                http("odd-spacing-and-case", "GET / HTTP/1.1\r\nhOsT:svc   \r\nX-Empty:\r\nx-Tab:\ta\tb\t\r\n\r\n",
                        "HTTP/1.1 200 \r\nCONTENT-LENGTH:   3  \r\n\r\nabc"),
                http("head", "HEAD /big HTTP/1.1\r\nHost: svc\r\n\r\nGET /small HTTP/1.1\r\nHost: svc\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                http("100-continue-and-103", "PUT /f HTTP/1.1\r\nHost: svc\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
                        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                                + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                http("204-304", "DELETE /x HTTP/1.1\r\nHost: svc\r\n\r\nGET /y HTTP/1.1\r\nHost: svc\r\n\r\n",
                        "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n"),
                http("http10-close-delimited", "GET /old HTTP/1.0\r\n\r\n",
                        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the connection closes"),
                new Corpus("websocket", concat(ascii("GET /ws HTTP/1.1\r\nHost: svc\r\nConnection: keep-alive, Upgrade\r\n"
                        + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
                        new byte[] {(byte) 0x81, (byte) 0x85, 0x37, (byte) 0xfa, 0x21, 0x3d, 0x7f, (byte) 0x9f, 0x4d, 0x51, 0x58},
                        random(100_000, 9)),
                        concat(ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
                                new byte[] {(byte) 0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}, ascii("GET / HTTP/1.1\r\n\r\n"),
                                random(100_000, 10)), true),
                new Corpus("connect", concat(ascii("CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n"), random(50_000, 11)),
                        concat(ascii("HTTP/1.1 200 Connection Established\r\n\r\n"), random(50_000, 12)), true),
                http("refused-upgrade", "GET /ws HTTP/1.1\r\nHost: svc\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n"
                                + "GET /next HTTP/1.1\r\nHost: svc\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                new Corpus("malformed-header", ascii("GET / HTTP/1.1\r\nHost svc\r\n\r\n\u0000\u00ff binary after"),
                        ascii("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), false),
                new Corpus("cl-and-te", ascii("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                        ascii("HTTP/1.1 400 Bad Request\r\n\r\n"), false),
                new Corpus("oversized-head", ascii("GET / HTTP/1.1\r\nX-Big: " + "b".repeat(70_000) + "\r\n\r\n"),
                        ascii("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n"), false),
                new Corpus("tls-client-hello", concat(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}, random(600, 13)),
                        random(3000, 14), false));
    }

    private static Corpus http(String name, String client, String server) {
        return new Corpus(name, ascii(client), ascii(server), true);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] repeat(String s, int n) {
        return ascii(s.repeat(n));
    }

    private static byte[] random(int n, int seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /** A body of {@code total} bytes in chunks of uneven sizes, some with extensions. */
    private static byte[] chunks(int total, int seed) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SplittableRandom r = new SplittableRandom(seed);
        int left = total;
        while (left > 0) {
            int n = Math.min(left, 1 + r.nextInt(40_000));
            out.writeBytes(ascii(Integer.toHexString(n) + (r.nextBoolean() ? ";ext=" + n : "") + "\r\n"));
            out.writeBytes(random(n, seed + left));
            out.writeBytes(ascii("\r\n"));
            left -= n;
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
