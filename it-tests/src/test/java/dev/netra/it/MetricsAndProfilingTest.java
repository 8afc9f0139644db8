package dev.netra.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.OutputFrame;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator looks at: a real Prometheus scraping the sidecar, and the profiling endpoints. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsAndProfilingTest {
    private static final String SECRET = "s3cr3t-t0ken-4711";
    private Network network;
    private Pod shop;
    private Pod outsider;

    @BeforeAll
    void startPods() {
        network = Network.newNetwork();
        shop = Pod.meshed(network, "shop", Map.of("NETRA_LOG_FORMAT", "json", "NETRA_ACCESS_LOG", "json",
                "OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=" + SECRET), "http:8080");
        outsider = Pod.plain(network, "outsider", "echo:8080");
    }

    @AfterAll
    void stopPods() {
        for (Pod p : new Pod[] {outsider, shop}) {
            if (p != null) {
                p.close();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    void prometheusSeesExactlyTheRequestsThatWentThrough() throws Exception {
        try (PrometheusServer prometheus = new PrometheusServer(shop.app.getHost() + ":" + shop.app.getMappedPort(Pod.ADMIN_PORT))) {
            assertOk(outsider.run("http-load", "shop", "8080", "/status/200", "30"));
            assertOk(outsider.run("http-load", "shop", "8080", "/status/503", "7"));
            assertOk(outsider.run("http-load", "shop", "8080", "/status/404", "5"));
            String inbound = "netra_http_requests_total{direction=\"inbound\",port=\"8080\",method=\"GET\",code=\"%s\"}";
            assertEquals(30, prometheus.await("sum(" + inbound.formatted("200") + ")", 30), prometheus.log());
            assertEquals(7, prometheus.await("sum(" + inbound.formatted("503") + ")", 7));
            assertEquals(5, prometheus.await("sum(" + inbound.formatted("404") + ")", 5));
            assertEquals(7, prometheus.await("sum(netra_http_requests_total{direction=\"inbound\",code_class=\"5xx\"})", 7));
            double p90 = prometheus.query("histogram_quantile(0.9, sum by (le) "
                    + "(netra_http_request_duration_seconds_bucket{direction=\"inbound\"}))");
            assertTrue(p90 > 0, "the latency histogram has the requests: p90 " + p90 + " s"); // how fast is the bench's to say
            assertTrue(prometheus.query("sum(jvm_memory_used_bytes)") > 0, "JVM metrics are there");
            assertEquals(1, prometheus.query("count(netra_build_info{version=\"0.1.0-SNAPSHOT\"})"), "which netra runs");
            assertEquals(0, prometheus.query("sum(netra_spans_dropped_total)"), "span counters are registered");
        }
    }

    /**
     * monitoring/dashboard.json: each panel's query returns data from a real Prometheus that
     * scraped a sidecar under traffic; monitoring/alerts.yaml: each rule's query is accepted.
     */
    @Test
    void everyDashboardPanelShowsDataAndEveryAlertRuleEvaluates() throws Exception {
        Path root = Path.of("..");
        List<String> panels = strings(Files.readString(root.resolve("monitoring/dashboard.json")), "\"expr\": \"((?:[^\"\\\\]|\\\\.)*)\"");
        List<String> rules = ruleExpressions(Files.readAllLines(root.resolve("monitoring/alerts.yaml")));
        assertTrue(panels.size() >= 12 && rules.size() >= 6, panels.size() + " panel queries, " + rules.size() + " rules");
        try (PrometheusServer prometheus = new PrometheusServer(shop.app.getHost() + ":" + shop.app.getMappedPort(Pod.ADMIN_PORT))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            List<String> empty = new ArrayList<>(panels);
            while (!empty.isEmpty() && System.nanoTime() < deadline) {
                // codes the exact counts of prometheusSeesExactlyTheRequestsThatWentThrough leave alone
                assertOk(outsider.run("http-load", "shop", "8080", "/status/202", "20"));
                assertOk(outsider.run("http-load", "shop", "8080", "/status/418", "2"));
                List<String> still = new ArrayList<>();
                for (String q : empty) {
                    String promql = q.replace("\\\"", "\"").replace("$__rate_interval", "1m")
                            .replace("$namespace", ".*").replace("$pod", ".*");
                    if (prometheus.series(promql) <= 0) {
                        still.add(promql);
                    }
                }
                empty = still;
            }
            assertEquals(List.of(), empty, "dashboard queries without data");
            for (String rule : rules) {
                assertTrue(prometheus.series(rule) >= 0, "an alert rule Prometheus refuses: " + rule);
            }
        }
    }

    /** bin/netra tap in the sidecar's container: a line per exchange, every field as it happened. */
    @Test
    void theTapShowsEachExchangeWithEveryField() throws Exception {
        CompletableFuture<ExecResult> tap = CompletableFuture.supplyAsync(() -> {
            try {
                return shop.sidecar.execInContainer("/opt/netra/bin/netra", "tap", "--json", "--count", "3",
                        "--path", "/status/201");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!tap.isDone() && System.nanoTime() < deadline) {
            outsider.run("http-load", "shop", "8080", "/status/201", "1");
            outsider.run("http-load", "shop", "8080", "/status/204", "1"); // filtered out
        }
        ExecResult r = tap.get(10, TimeUnit.SECONDS);
        List<String> lines = r.getStdout().lines().toList();
        assertEquals(3, lines.size(), r.getStdout() + r.getStderr());
        for (String line : lines) {
            assertTrue(line.matches("\\{\"time\":\"20[0-9-]{8}T[0-9:.]+Z\",\"direction\":\"inbound\","
                    + "\"client\":\"[0-9.]+:[0-9]+\",\"destination\":\"[0-9.]+:8080\",\"method\":\"GET\","
                    + "\"authority\":\"shop:8080\",\"path\":\"/status/201\",\"status\":201,\"request_bytes\":0,"
                    + "\"response_bytes\":[1-9][0-9]*,\"duration_us\":[1-9][0-9]*,\"request_id\":\"[0-9a-f-]{36}\","
                    + "\"trace_id\":\"[0-9a-f]{32}\",\"end\":\"complete\"}"), line);
        }
    }

    /**
     * NETRA_LOG_FORMAT=json and NETRA_ACCESS_LOG=json: every line on standard error is one JSON
     * object of the sidecar's log, every line on standard output one of the access log; the level
     * changes while netra runs (bin/netra log-level in the pod); a secret reaches neither.
     */
    @Test
    void logsAreJsonLinesAndTheLevelChangesWhileRunning() throws Exception {
        ExecResult before = shop.sidecar.execInContainer("/opt/netra/bin/netra", "log-level");
        assertOk(before);
        assertEquals("info", before.getStdout().trim());
        ExecResult debug = shop.sidecar.execInContainer("/opt/netra/bin/netra", "log-level", "debug", "--seconds", "300");
        assertOk(debug);
        assertEquals("log level debug for 300 s, then info", debug.getStdout().trim());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!shop.sidecar.getLogs(OutputFrame.OutputType.STDERR).contains("\"level\":\"debug\",")
                && System.nanoTime() < deadline) {
            outsider.run("http-load", "shop", "8080", "/status/202", "1");
        }
        assertOk(shop.sidecar.execInContainer("/opt/netra/bin/netra", "log-level", "info"));
        assertOk(outsider.run("http-load", "shop", "8080", "/status/202", "3"));

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> log = new ArrayList<>();
        for (String line : shop.sidecar.getLogs(OutputFrame.OutputType.STDERR).split("\n")) {
            if (!line.isEmpty()) {
                JsonNode n = json.readTree(line); // fails on a line that is not JSON
                for (String field : List.of("time", "level", "service", "message")) {
                    assertTrue(n.hasNonNull(field), field + " missing in " + line);
                }
                assertEquals("shop", n.get("service").asText(), line);
                log.add(n);
            }
        }
        assertTrue(log.stream().anyMatch(n -> n.get("message").asText().contains("tracing and JVM metrics up")));
        assertTrue(log.stream().anyMatch(n -> n.get("level").asText().equals("debug") && n.path("conn").isIntegralNumber()
                && n.get("message").asText().startsWith("inbound ")), "a debug line about one connection, with its id");
        assertTrue(log.stream().anyMatch(n -> n.get("message").asText().startsWith("log level info (was debug), set by /127.0.0.1")));

        List<JsonNode> access = new ArrayList<>();
        for (String line : shop.sidecar.getLogs(OutputFrame.OutputType.STDOUT).split("\n")) {
            if (!line.isEmpty()) {
                access.add(json.readTree(line));
            }
        }
        assertTrue(access.stream().filter(n -> n.get("path").asText().equals("/status/202") && n.get("status").asInt() == 202
                && n.get("direction").asText().equals("inbound") && n.get("end").asText().equals("complete")).count() >= 3,
                "the access log has each /status/202 exchange");
        assertFalse(shop.sidecar.getLogs().contains(SECRET), "a secret reached a log line");
        assertTrue(shop.sidecar.getLogs().contains("headers=[x-api-key]"), "the start-up line names the header only");
    }

    /** Each rule's {@code expr:}, one line or a {@code |} block of the lines indented below it. */
    private static List<String> ruleExpressions(List<String> lines) {
        List<String> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int at = line.indexOf("expr:");
            if (at < 0) {
                continue;
            }
            String rest = line.substring(at + 5).trim();
            if (!rest.equals("|")) {
                found.add(rest);
                continue;
            }
            StringBuilder block = new StringBuilder();
            while (i + 1 < lines.size() && lines.get(i + 1).length() - lines.get(i + 1).stripLeading().length() > at) {
                block.append(lines.get(++i).trim()).append(' ');
            }
            found.add(block.toString().trim());
        }
        return found;
    }

    private static List<String> strings(String text, String regex) {
        List<String> found = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.group(1).trim());
        }
        return found;
    }

    @Test
    void profilingAnswersInsideThePodOnlyByDefault() {
        ExecResult index = shop.run("http-get", "127.0.0.1", "14957", "/debug/pprof/");
        assertTrue(index.getStdout().contains("/debug/pprof/profile?seconds=N"), index.getStdout() + index.getStderr());
        ExecResult heap = shop.run("http-get", "127.0.0.1", "14957", "/debug/pprof/heap");
        assertTrue(heap.getStdout().contains("java.lang.String"));
        ExecResult fromOutside = outsider.run("probe", "shop", "14957");
        assertTrue(fromOutside.getStdout().startsWith("REFUSED"), fromOutside.getStdout());
    }

    private static void assertOk(ExecResult r) {
        assertEquals(0, r.getExitCode(), r.getStdout() + r.getStderr());
    }
}
