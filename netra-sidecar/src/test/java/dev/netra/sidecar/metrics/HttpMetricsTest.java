package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpMetricsTest {

    @Test
    void requestsAreCountedByDirectionMethodStatusAndPort() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry);
        Exchanges.play(Direction.INBOUND, 8080, metrics, Exchanges.get("/a") + Exchanges.get("/b"),
                Exchanges.response(200, "ok") + Exchanges.response(503, ""));
        Exchanges.play(Direction.OUTBOUND, 80, metrics, "BREW /pot HTTP/1.1\r\n\r\n", Exchanges.response(418, "tea"));
        String text = scrape(registry);
        assertTrue(text.contains("netra_http_requests_total{code=\"200\",code_class=\"2xx\",direction=\"inbound\",method=\"GET\",port=\"8080\"} 1"), text);
        assertTrue(text.contains("netra_http_requests_total{code=\"503\",code_class=\"5xx\",direction=\"inbound\",method=\"GET\",port=\"8080\"} 1"), text);
        assertTrue(text.contains("netra_http_requests_total{code=\"418\",code_class=\"4xx\",direction=\"outbound\",method=\"other\",port=\"80\"} 1"), text);
        assertTrue(text.contains("netra_http_request_duration_seconds_count{code_class=\"2xx\",direction=\"inbound\",method=\"GET\",port=\"8080\"} 1"), text);
        assertTrue(text.contains("netra_http_response_body_bytes_sum{direction=\"inbound\"} 2.0"), text);
        assertFalse(text.contains("/a"), "no paths in labels");
    }

    @Test
    void portLabelsAreBounded() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry);
        for (int port = 1000; port < 1000 + HttpMetrics.MAX_PORTS + 10; port++) {
            Exchanges.play(Direction.OUTBOUND, port, metrics, Exchanges.get("/"), Exchanges.response(200, ""));
        }
        String text = scrape(registry);
        long ports = text.lines().filter(l -> l.startsWith("netra_http_requests_total{")).count();
        assertTrue(ports == HttpMetrics.MAX_PORTS + 1, text);
        assertTrue(text.contains("port=\"other\"} 10"), text);
    }

    @Test
    void countingRunsNoExemplarSampler() throws Exception {
        // Exemplars would carry no trace id (no span is current on a copy loop's thread), and their
        // sampler re-arms itself on a timer thread: prometheus.properties turns them off for all
        // metrics, the library's JVM ones included (a collection increments the allocation counter).
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry);
        ProxyMetrics proxy = new ProxyMetrics(registry);
        RuntimeMetrics.register(registry);
        Exchanges.play(Direction.INBOUND, 8080, metrics, Exchanges.get("/a"), Exchanges.response(200, "ok"));
        proxy.of(Direction.INBOUND).bytesToClient().inc(10);
        proxy.of(Direction.OUTBOUND).opened().inc();
        System.gc();
        Thread.sleep(200);
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("prometheus-metrics-scheduler")),
                "no exemplar sampler thread");
    }

    private static String scrape(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.ALLOW_UTF8);
        return out.toString(StandardCharsets.UTF_8);
    }
}
