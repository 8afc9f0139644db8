package dev.netra.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator looks at: a real Prometheus scraping the sidecar, and the profiling endpoints. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsAndProfilingTest {
    private Network network;
    private Pod shop;
    private Pod outsider;

    @BeforeAll
    void startPods() {
        network = Network.newNetwork();
        shop = Pod.meshed(network, "shop", Map.of(), "http:8080");
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
            assertEquals(0, prometheus.query("sum(netra_spans_dropped_total)"), "span counters are registered");
        }
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
