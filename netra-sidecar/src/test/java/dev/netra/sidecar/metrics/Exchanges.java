package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;

/** Real exchanges for listener tests: raw bytes through a session's framers. */
final class Exchanges {
    private Exchanges() {
    }

    static void play(Direction direction, int port, ExchangeListener listener, String requests, String responses)
            throws IOException {
        HttpSettings settings = new HttpSettings(65536, (h, e, ed) -> { }, listener, (d, r) -> { });
        HttpSession s = new HttpSession(1, direction, new InetSocketAddress("10.0.0.1", 40000),
                new InetSocketAddress("10.0.0.2", port), settings, false);
        s.decide(dev.netra.sidecar.detect.Protocol.HTTP1); // what the detect stage does
        var sink = Channels.newChannel(OutputStream.nullOutputStream());
        s.requests(sink).forward(ByteBuffer.wrap(requests.getBytes(StandardCharsets.ISO_8859_1)));
        s.responses(sink).forward(ByteBuffer.wrap(responses.getBytes(StandardCharsets.ISO_8859_1)));
        s.close(Exchange.End.UPSTREAM_GONE);
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: svc\r\n\r\n";
    }

    static String response(int status, String body) {
        return "HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }
}
