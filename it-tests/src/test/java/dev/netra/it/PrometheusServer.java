package dev.netra.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real Prometheus (Debian's package, installed by scripts/test.sh) scraping one target every second. */
final class PrometheusServer implements AutoCloseable {
    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]+)\"]");

    private final Process process;
    private final Path dir;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    PrometheusServer(String target) throws IOException {
        dir = Files.createTempDirectory("netra-prometheus");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: netra
                    static_configs:
                      - targets: ["%s"]
                """.formatted(target));
        process = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    /** The single value of an instant query, or NaN while there is none. */
    double query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = ask(promql);
        Matcher m = r == null ? null : VALUE.matcher(r.body());
        return m != null && m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /** Prometheus's answer to an instant query, or null while it does not answer (not up yet). */
    private HttpResponse<String> ask(String promql) throws InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        }
    }

    /** How many series an instant query returns now; -1 when Prometheus refused it (a bad query). */
    int series(String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = ask(promql);
        if (r == null) {
            return 0; // not up yet
        }
        if (r.statusCode() != 200 || !r.body().contains("\"status\":\"success\"")) {
            return -1;
        }
        int n = 0;
        for (int i = r.body().indexOf("\"metric\":"); i >= 0; i = r.body().indexOf("\"metric\":", i + 1)) {
            n++;
        }
        return n;
    }

    /** Polls a query until it returns {@code expected} (or 60 s pass); returns the last value. */
    double await(String promql, double expected) throws IOException, InterruptedException {
        double v = Double.NaN;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            v = query(promql);
            if (v == expected) {
                return v;
            }
            Thread.sleep(500);
        }
        return v;
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("prometheus.log"));
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
