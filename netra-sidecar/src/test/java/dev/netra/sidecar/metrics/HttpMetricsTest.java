package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;

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
        String text = Scrapes.text(registry);
        assertTrue(text.contains("netra_http_requests_total{code=\"200\",code_class=\"2xx\",destination=\"svc\",direction=\"inbound\",method=\"GET\",port=\"8080\",protocol=\"http1\"} 1"), text);
        assertTrue(text.contains("netra_http_requests_total{code=\"503\",code_class=\"5xx\",destination=\"svc\",direction=\"inbound\",method=\"GET\",port=\"8080\",protocol=\"http1\"} 1"), text);
        assertTrue(text.contains("netra_http_requests_total{code=\"418\",code_class=\"4xx\",destination=\"10.0.0.2:80\",direction=\"outbound\",method=\"other\",port=\"80\",protocol=\"http1\"} 1"), text);
        assertTrue(text.contains("netra_http_request_duration_seconds_count{code_class=\"2xx\",destination=\"svc\",direction=\"inbound\",method=\"GET\",port=\"8080\",protocol=\"http1\"} 1"), text);
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
        String text = Scrapes.text(registry);
        long ports = text.lines().filter(l -> l.startsWith("netra_http_requests_total{")).count();
        assertTrue(ports == HttpMetrics.MAX_PORTS + 1, text);
        assertTrue(text.contains("port=\"other\",protocol=\"http1\"} 10"), text);
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
        String text = Scrapes.text(registry);
        long series = text.lines().filter(l -> l.startsWith("netra_http_requests_total{")).count();
        assertTrue(series <= 62, series + " series for 400 codes (58 registered, 4 classes of others):\n" + text);
        assertTrue(text.contains("netra_http_requests_total{code=\"299\"") == false, text);
        assertTrue(text.contains("netra_http_requests_total{code=\"other\",code_class=\"2xx\",destination=\"svc\",direction=\"outbound\",method=\"GET\",port=\"80\",protocol=\"http1\"} 90"), text);
        assertTrue(text.contains("netra_http_requests_total{code=\"404\",code_class=\"4xx\",destination=\"svc\",direction=\"outbound\",method=\"GET\",port=\"80\",protocol=\"http1\"} 1"), text);
    }

    @Test
    void labelCombinationsAreBoundedAndTheRestIsCountedAsOverflow() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry);
        int exchanges = flood(metrics);
        String text = Scrapes.text(registry);
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
    void destinationLabelsStayAtTheLimitUnderAFloodOfAuthorities() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        Destinations destinations = new Destinations(5, registry);
        HttpMetrics metrics = new HttpMetrics(registry, destinations, false);
        StringBuilder requests = new StringBuilder();
        StringBuilder responses = new StringBuilder();
        int flood = 120; // at most HttpSession's pipeline per connection
        for (int i = 0; i < flood; i++) {
            requests.append("GET / HTTP/1.1\r\nHost: tenant-").append(i).append(".example:8080\r\n\r\n");
            responses.append(Exchanges.response(200, ""));
        }
        Exchanges.play(Direction.OUTBOUND, 8080, metrics, requests.toString(), responses.toString());
        // the same authority in another case, and hostile values, once the limit is reached
        Exchanges.play(Direction.OUTBOUND, 8080, metrics, "GET / HTTP/1.1\r\nHost: TENANT-1.Example:8080\r\n\r\n"
                + "GET / HTTP/1.1\r\nHost: a\"b{c}\r\n\r\n" + "GET / HTTP/1.1\r\nHost: " + "x".repeat(300) + "\r\n\r\n",
                Exchanges.response(200, "").repeat(3));
        String text = Scrapes.text(registry);
        java.util.Set<String> values = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("destination=\"([^\"]*)\"").matcher(text);
        while (m.find()) {
            values.add(m.group(1));
        }
        assertTrue(values.equals(java.util.Set.of("tenant-0.example:8080", "tenant-1.example:8080", "tenant-2.example:8080",
                "tenant-3.example:8080", "tenant-4.example:8080", "other")), values.toString());
        assertTrue(text.contains("netra_http_requests_total{code=\"200\",code_class=\"2xx\",destination=\"tenant-1.example:8080\","
                + "direction=\"outbound\",method=\"GET\",port=\"8080\",protocol=\"http1\"} 2"), "the other spelling counts as the same: " + text);
        assertTrue(text.contains("netra_http_requests_total{code=\"200\",code_class=\"2xx\",destination=\"other\","
                + "direction=\"outbound\",method=\"GET\",port=\"8080\",protocol=\"http1\"} " + (flood - 5 + 2)), text);
        assertTrue(text.contains("netra_metrics_destinations_overflow_total " + (flood - 5 + 2) + ".0"), text);
        assertFalse(text.contains("xxxxxxxx") || text.contains("a\\\"b"), "no hostile value in a label");
    }

    @Test
    void openTelemetryNamesFollowTheSemanticConventions() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry, new Destinations(10, registry), true);
        Exchanges.play(Direction.INBOUND, 8080, metrics, Exchanges.get("/a") + Exchanges.get("/b"),
                Exchanges.response(200, "ok") + Exchanges.response(503, ""));
        Exchanges.play(Direction.OUTBOUND, 80, metrics, "BREW /pot HTTP/1.1\r\nHost: Pots.Example:80\r\n\r\n",
                Exchanges.response(418, "tea"));
        String text = Scrapes.text(registry);
        assertTrue(text.contains("http_server_request_duration_seconds_count{error_type=\"\",http_request_method=\"GET\","
                + "http_response_status_code=\"200\",url_scheme=\"http\"} 1"), text);
        assertTrue(text.contains("http_server_request_duration_seconds_count{error_type=\"503\",http_request_method=\"GET\","
                + "http_response_status_code=\"503\",url_scheme=\"http\"} 1"), text);
        assertTrue(text.contains("http_client_request_duration_seconds_count{error_type=\"\",http_request_method=\"_OTHER\","
                + "http_response_status_code=\"418\",server_address=\"pots.example\",server_port=\"80\",url_scheme=\"http\"} 1"), text);
        assertTrue(text.contains("http_server_request_duration_seconds_bucket{error_type=\"\",http_request_method=\"GET\","
                + "http_response_status_code=\"200\",url_scheme=\"http\",le=\"0.005\"}"), "OpenTelemetry's buckets: " + text);
    }

    @Test
    void overflowedExchangesKeepOnlyTheirClassInTheOpenTelemetryNames() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        int exchanges = flood(new HttpMetrics(registry, new Destinations(10, registry), true));
        String text = Scrapes.text(registry);
        double counted = text.lines().filter(l -> l.startsWith("http_server_request_duration_seconds_count{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertTrue(counted == exchanges, "every exchange is observed: " + counted + " of " + exchanges);
        assertTrue(text.contains("http_server_request_duration_seconds_count{error_type=\"_OTHER\",http_request_method=\"_OTHER\","
                + "http_response_status_code=\"_OTHER\",url_scheme=\"http\"}"), "a 5xx overflow series, its code unknown: " + text);
    }

    /** 8 methods x 16 codes on each of {@value HttpMetrics#MAX_PORTS} ports: past the series bound. Returns the exchanges played. */
    private static int flood(HttpMetrics metrics) throws IOException {
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
        return exchanges;
    }

    @Test
    void withoutTheOptionNoOpenTelemetryNames() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        HttpMetrics metrics = new HttpMetrics(registry);
        Exchanges.play(Direction.INBOUND, 8080, metrics, Exchanges.get("/a"), Exchanges.response(200, "ok"));
        assertFalse(Scrapes.text(registry).contains("http_server_request_duration"));
    }

    @Test
    void countingRunsNoExemplarSampler() throws Exception {
        // Exemplars would carry no trace id (no span is current on a copy loop's thread), and their
        // sampler re-arms itself on a timer thread: prometheus.properties turns them off for all
        // metrics, the library's JVM ones included (a collection increments the allocation counter).
        PrometheusRegistry registry = new PrometheusRegistry();
        Destinations destinations = new Destinations(10, registry);
        HttpMetrics metrics = new HttpMetrics(registry, destinations, false);
        ProxyMetrics proxy = new ProxyMetrics(registry, destinations);
        RuntimeMetrics.register(registry);
        Exchanges.play(Direction.INBOUND, 8080, metrics, Exchanges.get("/a"), Exchanges.response(200, "ok"));
        proxy.of(Direction.INBOUND).bytesToClient().inc(10);
        proxy.of(Direction.OUTBOUND).opened().inc();
        System.gc();
        Thread.sleep(200);
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("prometheus-metrics-scheduler")),
                "no exemplar sampler thread");
    }
}
