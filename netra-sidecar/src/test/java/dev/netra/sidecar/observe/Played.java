package dev.netra.sidecar.observe;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;

/** Exchanges played through a session's framers, each handed to a listener as it ends. */
final class Played {
    private Played() {
    }

    static void play(ExchangeListener listener, Direction direction, String requests, String responses) throws IOException {
        play(listener, direction, 1, requests, responses);
    }

    /** {@code times} turns of {@code request} then {@code response} on one connection (sidecar-added request ids). */
    static void play(ExchangeListener listener, Direction direction, int times, String request, String response)
            throws IOException {
        HttpSettings settings = new HttpSettings(65536, new RequestIdEdits("X-Request-Id", "X-Source", "netra"), listener,
                (d, r) -> { });
        HttpSession s = new HttpSession(7, direction, new InetSocketAddress("10.0.0.1", 40000),
                new InetSocketAddress("10.0.0.2", 8080), settings, false);
        s.decide(Protocol.HTTP1);
        var sink = Channels.newChannel(OutputStream.nullOutputStream());
        Forwarder requests = s.requests(sink);
        Forwarder responses = s.responses(sink);
        for (int i = 0; i < times; i++) {
            requests.forward(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
            responses.forward(ByteBuffer.wrap(response.getBytes(StandardCharsets.ISO_8859_1)));
        }
        s.close(Exchange.End.UPSTREAM_GONE);
    }

    static String get(String path, String host, String extra) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra + "\r\n";
    }

    static String response(int status, String body) {
        return "HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }
}
