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
    void unregisteredStatusCodesFoldIntoOtherPerClass() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry);
        for (int from = 200; from < 600; from += 50) { // 1xx are interim: their response goes on
            StringBuilder requests = new StringBuilder();
            StringBuilder responses = new StringBuilder();
            for (int code = from; code < from + 50; code++) {
                requests.append(Exchanges.get("/"));
                responses.append(Exchanges.response(code, ""));
            }
            Exchanges.play(Direction.OUTBOUND, 80, metrics, requests.toString(), responses.toString());
        }
        String text = scrape(registry);
        long series = text.lines().filter(l -> l.startsWith("netra_http_requests_total{")).count();
        assertTrue(series <= 62, series + " series for 400 codes (58 registered, 4 classes of others):\n" + text);
        assertTrue(text.contains("netra_http_requests_total{code=\"299\"") == false, text);
        assertTrue(text.contains("netra_http_requests_total{code=\"other\",code_class=\"2xx\",direction=\"outbound\",method=\"GET\",port=\"80\"} 90"), text);
        assertTrue(text.contains("netra_http_requests_total{code=\"404\",code_class=\"4xx\",direction=\"outbound\",method=\"GET\",port=\"80\"} 1"), text);
    }

    @Test
    void labelCombinationsAreBoundedAndTheRestIsCountedAsOverflow() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry);
        String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"};
        int[] codes = {200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504};
        int exchanges = 0;
        for (int port = 1; port <= HttpMetrics.MAX_PORTS; port++) {
            for (String m : methods) {
                StringBuilder req = new StringBuilder();
                StringBuilder res = new StringBuilder();
                for (int code : codes) {
                    req.append(m).append(" / HTTP/1.1\r\nHost: a\r\n").append(m.equals("HEAD") ? "" : "Content-Length: 0\r\n").append("\r\n");
                    res.append(m.equals("HEAD") ? "HTTP/1.1 " + code + " X\r\nContent-Length: 0\r\n\r\n" : Exchanges.response(code, ""));
                    exchanges++;
                }
                Exchanges.play(Direction.INBOUND, 10_000 + port, metrics, req.toString(), res.toString());
            }
        }
        String text = scrape(registry);
        long series = text.lines().filter(l -> l.startsWith("netra_http_requests_total{")).count();
        assertTrue(series <= HttpMetrics.MAX_SERIES + 6, series + " series");
        double counted = text.lines().filter(l -> l.startsWith("netra_http_requests_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertTrue(counted == exchanges, "every exchange is counted somewhere: " + counted + " of " + exchanges);
        double overflowed = text.lines().filter(l -> l.startsWith("netra_metrics_overflow_total{direction=\"inbound\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertTrue(overflowed > 0 && overflowed == exchanges - HttpMetrics.MAX_SERIES, "overflow " + overflowed);
        assertTrue(text.length() < 4_000_000, "scrape of " + text.length() + " bytes");
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
