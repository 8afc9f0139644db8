package dev.netra.sidecar.routing;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.config.ConfigException;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which requests are re-routed where, with routing's safe defaults. */
class RouterTest {
    private static final InetSocketAddress OUTSIDER = new InetSocketAddress("203.0.113.9", 40000);
    private static final InetSocketAddress GATEWAY = new InetSocketAddress("10.1.0.5", 40000);
    private static final InetSocketAddress APP = new InetSocketAddress("10.2.0.7", 40000);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private PrometheusRegistry registry;
    private Router router;

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private void router(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.put("NETRA_HTTP_ROUTING_ENABLED", "true");
        registry = new PrometheusRegistry();
        router = new Router(SidecarConfig.from(all, List.of("--service-name", "app")), registry, timer);
    }

    /** One request through a session with the router's edits: the exchange and what went upstream. */
    private record Played(Exchange exchange, String forwarded) {
    }

    private Played play(Direction d, InetSocketAddress client, String request) throws IOException {
        List<Exchange> ended = new ArrayList<>();
        HttpSettings settings = new HttpSettings(65536, new RequestIdEdits("X-Request-Id", "X-Source", "netra").andThen(router.edits()), ended::add, (x, r) -> { });
        HttpSession s = new HttpSession(1, d, client, new InetSocketAddress("10.9.9.9", 8080), settings, false);
        s.decide(dev.netra.sidecar.detect.Protocol.HTTP1); // what the detect stage does
        ByteArrayOutputStream up = new ByteArrayOutputStream();
        s.requests(Channels.newChannel(up)).forward(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
        s.close(Exchange.End.UPSTREAM_GONE);
        return new Played(ended.getFirst(), up.toString(StandardCharsets.ISO_8859_1));
    }

    private static String get(String host, String headers) {
        return "GET / HTTP/1.1\r\nHost: " + host + "\r\n" + headers + "\r\n";
    }

    /** Where an outbound request for svc with {@code X-Route: svc=route} goes under {@code allowed}, null if unchanged. */
    private String target(String allowed, String route) throws IOException {
        router(Map.of("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", allowed));
        InetSocketAddress up = play(Direction.OUTBOUND, APP, get("svc", "X-Route: svc=" + route + "\r\n")).exchange().upstream();
        return up == null ? null : up.getHostString() + ":" + up.getPort();
    }

    private double routes(String result) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.startsWith("netra_routing_requests_total{result=\"" + result + "\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void nothingIsReRoutedUntilTargetsAreAllowed() throws IOException {
        router(Map.of());
        assertNull(play(Direction.OUTBOUND, APP, get("svc", "X-Route: svc=svc-v2\r\n")).exchange().upstream());
        assertEquals(1, routes("not_allowed"));
    }

    @Test
    void targetsMatchByNameDomainAddressBlockAndPort() throws IOException {
        assertEquals("svc-v2:8080", target("svc-v2", "svc-v2"));
        assertEquals("svc-v2:9090", target("svc-v2", "svc-v2:9090"));
        assertNull(target("svc-v2:8080", "svc-v2:9090"), "a port given in the allowlist is the only one");
        assertEquals("a.staging.svc:8080", target(".staging.svc", "a.staging.svc"));
        assertNull(target(".staging.svc", "attacker.example"));
        assertEquals("10.8.3.4:8080", target("10.8.0.0/16", "10.8.3.4"));
        assertNull(target("10.8.0.0/16", "10.9.3.4"));
        assertNull(target("10.8.0.0/16", "ten.example"), "an address block never matches a name");
        assertEquals("anything.example:8080", target("*", "anything.example"));
    }

    @Test
    void theSidecarsOwnPortsAreNeverATarget() throws IOException {
        assertNull(target("*", "127.0.0.1:14958"));
        assertNull(target("*", "svc-v2:14957"));
        assertNull(target("*", "localhost:14956"));
        assertEquals("svc-v2:14959", target("*", "svc-v2:14959"));
    }

    @Test
    void anInboundRoutingValueSteersTheAppsCallsOnlyFromATrustedSource() throws IOException {
        router(Map.of("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "*", "NETRA_HTTP_ROUTING_TRUSTED_SOURCES", "10.1.0.0/16"));
        // an outsider's route is forwarded as sent, and not remembered for the app's calls
        Played in = play(Direction.INBOUND, OUTSIDER, get("app", "X-Request-Id: r-1\r\nX-Route: api=attacker.example\r\n"));
        assertNull(in.exchange().upstream(), "inbound requests are never re-routed");
        assertTrue(in.forwarded().contains("X-Route: api=attacker.example\r\n"));
        Played call = play(Direction.OUTBOUND, APP, get("api", "X-Request-Id: r-1\r\nAuthorization: Bearer t\r\n"));
        assertNull(call.exchange().upstream(), "the app's call with the outsider's request id goes where it was going");
        assertTrue(!call.forwarded().contains("X-Route"), call.forwarded());
        assertEquals(1, routes("untrusted_source"));
        // the gateway's route is remembered and carried to the app's call with the same id
        play(Direction.INBOUND, GATEWAY, get("app", "X-Request-Id: r-2\r\nX-Route: api=api-canary\r\n"));
        Played canary = play(Direction.OUTBOUND, APP, get("api", "X-Request-Id: r-2\r\n"));
        assertEquals("api-canary", canary.exchange().upstream().getHostString());
        assertTrue(canary.forwarded().contains("X-Route: api=api-canary\r\n"), canary.forwarded());
    }

    @Test
    void noSourceIsTrustedByDefault() throws IOException {
        router(Map.of("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "*"));
        play(Direction.INBOUND, GATEWAY, get("app", "X-Request-Id: r-3\r\nX-Route: api=api-canary\r\n"));
        assertNull(play(Direction.OUTBOUND, APP, get("api", "X-Request-Id: r-3\r\n")).exchange().upstream());
    }

    @Test
    void badEntriesNameTheVariableAndTheItem() {
        for (String bad : List.of("10.0.0.0/33", "svc:0", "svc:http", "bad host", "1.2.3.4.5/8")) {
            ConfigException e = assertThrows(ConfigException.class, () -> router(Map.of("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", bad)));
            assertTrue(e.getMessage().startsWith("NETRA_HTTP_ROUTING_ALLOWED_TARGETS") && e.getMessage().contains(bad), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> router(Map.of("NETRA_HTTP_ROUTING_TRUSTED_SOURCES", "10.0.0.0/40")));
        assertTrue(e.getMessage().startsWith("NETRA_HTTP_ROUTING_TRUSTED_SOURCES") && e.getMessage().contains("10.0.0.0/40"), e.getMessage());
    }
}
