package dev.netra.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pod A's app calls pod B's app, which calls pod C, each with netra; the spans of all five hops
 * reach a collector that decodes them (A and C over OTLP/HTTP, B as Jaeger Thrift over UDP) and
 * form one trace with the right parents, however the apps pass the context along.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DistributedTracingTest {
    private static final int QUERY = 4318;
    private Network network;
    private Pod collector;
    private Pod a;
    private Pod b;
    private Pod c;
    private Pod client;
    private Pod quiet;
    private Pod hanging;

    @BeforeAll
    void startPods() {
        network = Network.newNetwork();
        collector = Pod.plainPublishing(network, "collector", QUERY, "collector:4318:6831", "sink:4319");
        Map<String, String> otlp = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                "HTTP_HEADER_TAG_MAP", "x-session:http.session");
        c = Pod.meshed(network, "c", otlp, "http:8080", "reset:7070");
        b = Pod.meshed(network, "b", Map.of("JAEGER_AGENT_HOST", "collector", "JAEGER_AGENT_PORT", "6831",
                "JAEGER_SAMPLER_TYPE", "const", "JAEGER_SAMPLER_PARAM", "1"), "relay:8080:c:8080");
        a = Pod.meshed(network, "a", otlp, "relay:8080:b:8080");
        quiet = Pod.meshed(network, "quiet", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                "JAEGER_SAMPLER_TYPE", "const", "JAEGER_SAMPLER_PARAM", "0"), "http:8080");
        hanging = Pod.meshed(network, "hanging", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4319",
                "OTEL_EXPORTER_OTLP_TIMEOUT", "10000", "NETRA_TRACING_QUEUE_SIZE", "10"), "http:8080");
        client = Pod.plain(network, "client", "echo:9");
    }

    @AfterAll
    void stopPods() {
        for (Pod p : new Pod[] {client, hanging, quiet, a, b, c, collector}) {
            if (p != null) {
                p.close();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    @ParameterizedTest(name = "apps pass on {0}")
    @ValueSource(strings = {"rid", "traceparent", "uber", "b3"})
    void oneTraceAcrossThreePodsWithCorrectParents(String mode) throws Exception {
        String rid = "rid-" + mode;
        String headers = "X-Request-Id: " + rid + "\\nX-Session: s-" + mode
                + (mode.equals("b3") ? "\\nb3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1" : "");
        assertOk(client.run("http-load", "a", "8080", "/chain/" + mode + "/x", "1", headers));

        List<Map<String, String>> trace = awaitTrace(rid, 5);
        Map<String, String> aServer = one(trace, "a", "server");
        Map<String, String> aClient = one(trace, "a", "client");
        Map<String, String> bServer = one(trace, "b", "server");
        Map<String, String> bClient = one(trace, "b", "client");
        Map<String, String> cServer = one(trace, "c", "server");
        assertEquals(aServer.get("span"), aClient.get("parent"), "A's call is a child of A's request");
        assertEquals(aClient.get("span"), bServer.get("parent"), "B's request is a child of A's call");
        assertEquals(bServer.get("span"), bClient.get("parent"), "B's call is a child of B's request");
        assertEquals(bClient.get("span"), cServer.get("parent"), "C's request is a child of B's call");
        if (mode.equals("b3")) {
            assertEquals("80f198ee56343ba864fe8b2a57d3eff7", aServer.get("trace"));
            assertEquals("e457b5a2e4d86bd1", aServer.get("parent"), "the client's B3 span is A's parent");
        }
        assertEquals("jaeger", bServer.get("source"), "B exports to the Jaeger agent port");
        assertEquals("otlp", aServer.get("source"));

        assertEquals("/chain/" + mode + "/x", aServer.get("name"), "inbound span name: the path");
        assertEquals("b:8080/chain/" + mode + "/x", aClient.get("name"), "outbound span name: host + path");
        assertEquals("200", aServer.get("a.http.status_code"));
        assertEquals("200", aServer.get("a.http.response.status_code"));
        assertEquals("GET", aServer.get("a.http.method"));
        assertEquals(rid, aServer.get("a.http.request_id"));
        assertEquals("s-" + mode, aServer.get("a.http.session"), "HTTP_HEADER_TAG_MAP");
        assertEquals("netra-testapp", aServer.get("a.user_agent.original"));
        assertEquals("server", bServer.get("a.span.kind"));
    }

    @Test
    void errorsAreMarkedOnTheSpan() throws Exception {
        assertOk(client.run("http-load", "c", "8080", "/status/503", "1", "X-Request-Id: rid-503"));
        Map<String, String> span = awaitTrace("rid-503", 1).getFirst();
        assertEquals("error", span.get("status"));
        assertEquals("true", span.get("a.error"));
    }

    @Test
    void anUpstreamResetIsAnErrorWithItsReason() throws Exception {
        ExecResult r = client.run("http-load", "c", "7070", "/x", "1", "X-Request-Id: rid-reset");
        assertTrue(r.getExitCode() != 0 || r.getStdout().contains("FAIL"), "the app saw the reset: " + r.getStdout());
        Map<String, String> span = awaitTrace("rid-reset", 1).getFirst();
        assertEquals("error", span.get("status"));
        assertEquals("server", span.get("kind"));
    }

    @Test
    void samplingOffSendsNoSpansAndForwardsEverything() throws Exception {
        assertOk(client.run("http-load", "quiet", "8080", "/status/200", "50", "X-Request-Id: rid-quiet"));
        Thread.sleep(2000);
        assertTrue(spans().stream().noneMatch(s -> s.get("service").equals("quiet")));
    }

    @Test
    void aHangingCollectorDoesNotSlowTrafficAndDropsAreCounted() throws Exception {
        // warm both up, then the same load through a pod with a healthy pipeline and one whose collector hangs
        client.run("http-load", "quiet", "8080", "/status/200", "200");
        client.run("http-load", "hanging", "8080", "/status/200", "200");
        long healthy = millis(client.run("http-load", "quiet", "8080", "/status/200", "1000"));
        long stuck = millis(client.run("http-load", "hanging", "8080", "/status/200", "1000"));
        assertTrue(stuck < Math.max(3 * healthy, 2000), "hanging collector: " + stuck + " ms, healthy: " + healthy + " ms");
        assertTrue(hanging.metric("netra_spans_dropped_total") > 0, hanging.metrics());
    }

    private static long millis(ExecResult r) {
        assertOk(r);
        String out = r.getStdout();
        return Long.parseLong(out.substring(out.indexOf("ms=") + 3).trim());
    }

    private List<Map<String, String>> awaitTrace(String requestId, int spans) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<Map<String, String>> trace = List.of();
        while (System.nanoTime() < deadline) {
            List<Map<String, String>> all = spans();
            String traceId = all.stream().filter(s -> requestId.equals(s.get("a.http.request_id")))
                    .map(s -> s.get("trace")).findFirst().orElse(null);
            if (traceId != null) {
                trace = all.stream().filter(s -> traceId.equals(s.get("trace"))).toList();
                if (trace.size() >= spans) {
                    return trace;
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError("trace of " + requestId + " incomplete: " + trace + "\nall: " + spans());
    }

    private static Map<String, String> one(List<Map<String, String>> trace, String service, String kind) {
        List<Map<String, String>> found = trace.stream()
                .filter(s -> service.equals(s.get("service")) && kind.equals(s.get("kind"))).toList();
        assertEquals(1, found.size(), service + " " + kind + " in " + trace);
        return found.getFirst();
    }

    private List<Map<String, String>> spans() throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://" + collector.app.getHost() + ":"
                    + collector.app.getMappedPort(QUERY) + "/spans")).build(), HttpResponse.BodyHandlers.ofString()).body();
            return dev.netra.testapp.TraceTree.parse(body);
        }
    }

    private static void assertOk(ExecResult r) {
        assertEquals(0, r.getExitCode(), r.getStdout() + r.getStderr());
    }
}
