package dev.netra.sidecar.observe;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.admin.ProfilingServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live tap: nothing made while nobody listens, filters, bounds, and the /tap stream. */
class TapTest {
    private final Tap tap = new Tap(new PrometheusRegistry());

    private void traffic(int n, int status) throws Exception {
        Played.play(tap, Direction.INBOUND, n, Played.get("/api/2", "shop", ""), Played.response(status, "ok"));
    }

    @Test
    void withNobodyListeningNoRecordIsMade() throws Exception {
        traffic(50, 200);
        assertEquals(0, tap.made());
    }

    @Test
    void aSubscriberGetsWhatItsFilterMatches() throws Exception {
        try (Tap.Subscription s = tap.subscribe(new Tap.Filter(Direction.INBOUND, "shop", "/api/", 5, 100))) {
            traffic(3, 200);
            traffic(2, 503);
            Played.play(tap, Direction.OUTBOUND, Played.get("/api/out", "shop", ""), Played.response(503, ""));
            List<ExchangeRecord> got = new ArrayList<>();
            ExchangeRecord r;
            while ((r = s.next(0)) != null) {
                got.add(r);
            }
            assertEquals(2, got.size(), "the inbound 5xx only: " + got);
            assertTrue(got.stream().allMatch(x -> x.status() == 503 && x.direction() == Direction.INBOUND));
        }
        traffic(1, 200);
        assertEquals(6, tap.made(), "a subscriber that left costs nothing more");
    }

    @Test
    void aSlowSubscriberIsBoundedAndItsDropsCounted() throws Exception {
        try (Tap.Subscription s = tap.subscribe(new Tap.Filter(null, null, null, -1, 1000))) {
            traffic(Tap.QUEUE + 40, 200);
            int kept = 0;
            while (s.next(0) != null) {
                kept++;
            }
            assertEquals(Tap.QUEUE, kept, "its queue holds what it holds");
            assertEquals(40, tap.dropped(), "the rest is counted");
        }
    }

    @Test
    void aRateLimitDropsTheRestOfTheSecond() throws Exception {
        try (Tap.Subscription s = tap.subscribe(new Tap.Filter(null, null, null, -1, 5))) {
            traffic(20, 200);
            int kept = 0;
            while (s.next(0) != null) {
                kept++;
            }
            assertTrue(kept >= 5 && kept <= 10, "5 a second (the traffic may straddle a second): " + kept);
            assertEquals(20 - kept, tap.dropped());
        }
    }

    @Test
    void subscribersAreBounded() {
        List<Tap.Subscription> all = new ArrayList<>();
        for (int i = 0; i < Tap.MAX_SUBSCRIBERS; i++) {
            all.add(tap.subscribe(new Tap.Filter(null, null, null, -1, 10)));
        }
        assertNull(tap.subscribe(new Tap.Filter(null, null, null, -1, 10)));
        all.forEach(Tap.Subscription::close);
        assertNotNull(tap.subscribe(new Tap.Filter(null, null, null, -1, 10)));
    }

    @Test
    void theEndpointStreamsJsonLinesAndRefusesBadFilters() throws Exception {
        try (ProfilingServer server = new ProfilingServer(InetAddress.getLoopbackAddress(), 0, tap)) {
            server.start();
            assertTrue(get(server.port(), "/tap?status=6xx").startsWith("HTTP/1.1 400"), "a bad filter is named");
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                s.getOutputStream().write("GET /tap?path=/api/2&seconds=5 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("HTTP/1.1 200 OK", in.readLine());
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (tap.made() == 0 && System.nanoTime() < deadline) { // until the endpoint subscribed
                    traffic(3, 200);
                }
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("{")) {
                    // headers, chunk sizes, heartbeats
                }
                assertNotNull(line);
                assertTrue(line.contains("\"path\":\"/api/2\"") && line.contains("\"authority\":\"shop\""), line);
            }
        }
    }

    private static String get(int port, String target) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(("GET " + target + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
