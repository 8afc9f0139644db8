package dev.netra.testapp;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a sidecar's /metrics and prints traffic, errors and latency per direction. */
final class Golden {
    private static final Pattern SAMPLE = Pattern.compile("^(\\w+)\\{([^}]*)}\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private Golden() {
    }

    static void print(String host, int port) throws IOException {
        String metrics;
        try (Socket s = new Socket(host, port)) {
            s.getOutputStream().write(("GET /metrics HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            metrics = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String direction : new String[] {"inbound", "outbound"}) {
            double requests = 0;
            double errors = 0;
            TreeMap<Double, Double> buckets = new TreeMap<>();
            for (String line : metrics.split("\n")) {
                Matcher m = SAMPLE.matcher(line);
                if (!m.find()) {
                    continue;
                }
                Map<String, String> labels = labels(m.group(2));
                if (!direction.equals(labels.get("direction"))) {
                    continue;
                }
                double v = Double.parseDouble(m.group(3));
                if (m.group(1).equals("netra_http_requests_total")) {
                    requests += v;
                    if ("5xx".equals(labels.get("code_class"))) {
                        errors += v;
                    }
                } else if (m.group(1).equals("netra_http_request_duration_seconds_bucket")) {
                    String le = labels.get("le");
                    buckets.merge(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), v, Double::sum);
                }
            }
            if (requests == 0) {
                System.out.printf("  %s: no HTTP requests%n", direction);
                continue;
            }
            System.out.printf("  %s: %.0f requests, %.0f errors (%.1f%%), latency p50 %s, p99 %s%n", direction, requests, errors,
                    100 * errors / requests, ms(quantile(buckets, 0.5)), ms(quantile(buckets, 0.99)));
        }
    }

    private static Map<String, String> labels(String s) {
        Map<String, String> labels = new TreeMap<>();
        Matcher m = LABEL.matcher(s);
        while (m.find()) {
            labels.put(m.group(1), m.group(2));
        }
        return labels;
    }

    /** Like PromQL's histogram_quantile: linear inside the bucket the rank falls in. */
    static double quantile(TreeMap<Double, Double> cumulative, double q) {
        if (cumulative.isEmpty()) {
            return Double.NaN;
        }
        double total = cumulative.lastEntry().getValue();
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (Map.Entry<Double, Double> b : cumulative.entrySet()) {
            if (b.getValue() >= rank) {
                if (b.getKey().isInfinite()) {
                    return lowerBound;
                }
                double inBucket = b.getValue() - lowerCount;
                return inBucket == 0 ? b.getKey() : lowerBound + (b.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = b.getKey();
            lowerCount = b.getValue();
        }
        return lowerBound;
    }

    private static String ms(double seconds) {
        return String.format("%.2f ms", seconds * 1000);
    }
}
