package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsdReporterTest {

    @Test
    void netrameshNamesWithAPrefix() throws Exception {
        List<String> lines = run("mesh.svc");
        assertEquals(List.of("mesh.svc.inbound.200:1|c", "mesh.svc.inbound.200:1|c", "mesh.svc.inbound.503:1|c",
                "mesh.svc.inbound.none:1|c", "mesh.svc.outbound.404:1|c"), counters(lines));
        assertEquals(4, lines.stream().filter(l -> l.matches("mesh\\.svc\\.(inbound|outbound)\\.duration:\\d+\\|ms")).count(),
                lines.toString());
    }

    @Test
    void noLeadingDotWithoutAPrefix() throws Exception {
        List<String> lines = run("");
        assertEquals(List.of("inbound.200:1|c", "inbound.200:1|c", "inbound.503:1|c", "inbound.none:1|c",
                "outbound.404:1|c"), counters(lines));
        assertTrue(lines.stream().anyMatch(l -> l.matches("inbound\\.duration:\\d+\\|ms")), lines.toString());
    }

    /** A known mix: inbound 2 x 200, 1 x 503, 1 without response; outbound 1 x 404. */
    private static List<String> run(String prefix) throws Exception {
        try (DatagramChannel receiver = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = ((InetSocketAddress) receiver.getLocalAddress()).getPort();
            try (StatsdReporter statsd = new StatsdReporter(prefix, "127.0.0.1:" + port)) {
                Exchanges.play(Direction.INBOUND, 8080, statsd,
                        Exchanges.get("/a") + Exchanges.get("/b") + Exchanges.get("/c") + Exchanges.get("/lost"),
                        Exchanges.response(200, "ok") + Exchanges.response(200, "") + Exchanges.response(503, "busy"));
                Exchanges.play(Direction.OUTBOUND, 80, statsd, Exchanges.get("/x"), Exchanges.response(404, ""));
                return receive(receiver, 9);
            }
        }
    }

    private static List<String> receive(DatagramChannel ch, int expected) throws IOException {
        List<String> lines = new ArrayList<>();
        ch.socket().setSoTimeout(5000);
        var socket = ch.socket();
        byte[] buf = new byte[1500];
        try {
            while (lines.size() < expected) {
                var packet = new java.net.DatagramPacket(buf, buf.length);
                socket.receive(packet);
                for (String l : new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8).split("\n")) {
                    lines.add(l);
                }
            }
        } catch (SocketTimeoutException e) {
            // fewer lines than expected: the assertions say which
        }
        return lines;
    }

    private static List<String> counters(List<String> lines) {
        List<String> c = new ArrayList<>(lines.stream().filter(l -> l.endsWith("|c")).toList());
        Collections.sort(c);
        return c;
    }

}
