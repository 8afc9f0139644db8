package dev.netra.sidecar.observe;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/netra top}: the tap's exchanges aggregated by direction, authority and path over the
 * last window: requests per second, success rate (not 5xx, and a response at all), p50 and p99.
 * Bounded: at most {@value #MAX_ROUTES} routes (the rest counted as "other"), {@value #MAX_SAMPLES}
 * durations kept per route.
 */
final class Top {
    static final int MAX_ROUTES = 200;
    static final int MAX_SAMPLES = 2000;
    private static final Pattern FIELD = Pattern.compile("\"(direction|authority|path|status|duration_us)\":(\"(?:[^\"\\\\]|\\\\.)*\"|[0-9]+|null)");

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private long windowStart = System.nanoTime();

    private static final class Route {
        long requests;
        long failures;
        final long[] micros = new long[MAX_SAMPLES];
        int samples;

        void add(int status, long durationMicros) {
            requests++;
            if (status == 0 || status >= 500) {
                failures++;
            }
            if (samples < MAX_SAMPLES) {
                micros[samples++] = durationMicros;
            }
        }
    }

    /** Takes one JSON line of the tap. */
    void add(String json) {
        String direction = "";
        String authority = "";
        String path = "";
        int status = 0;
        long micros = 0;
        Matcher m = FIELD.matcher(json);
        while (m.find()) {
            String v = m.group(2);
            String text = v.startsWith("\"") ? v.substring(1, v.length() - 1) : v;
            switch (m.group(1)) {
                case "direction" -> direction = text;
                case "authority" -> authority = text.equals("null") ? "" : text;
                case "path" -> path = text.equals("null") ? "" : text;
                case "status" -> status = Integer.parseInt(text);
                default -> micros = Long.parseLong(text);
            }
        }
        String key = direction + " " + authority + path;
        Route r = routes.get(key);
        if (r == null) {
            if (routes.size() >= MAX_ROUTES) {
                key = direction + " (other)";
                r = routes.get(key);
            }
            if (r == null) {
                r = new Route();
                routes.put(key, r);
            }
        }
        r.add(status, micros);
    }

    /** Prints the window's table, busiest first, and starts a new window. */
    void print(PrintStream out) {
        double seconds = Math.max(0.001, (System.nanoTime() - windowStart) / 1e9);
        List<Map.Entry<String, Route>> rows = new ArrayList<>(routes.entrySet());
        rows.sort(Comparator.comparingLong((Map.Entry<String, Route> e) -> e.getValue().requests).reversed());
        out.printf(Locale.ROOT, "%-60s %9s %8s %10s %10s%n", "DIRECTION AUTHORITY+PATH", "REQ/S", "SUCCESS", "P50 MS", "P99 MS");
        for (Map.Entry<String, Route> e : rows) {
            Route r = e.getValue();
            long[] sorted = Arrays.copyOf(r.micros, r.samples);
            Arrays.sort(sorted);
            out.printf(Locale.ROOT, "%-60s %9.1f %7.1f%% %10.2f %10.2f%n", cut(e.getKey(), 60), r.requests / seconds,
                    100.0 * (r.requests - r.failures) / r.requests, quantile(sorted, 0.5) / 1000.0, quantile(sorted, 0.99) / 1000.0);
        }
        out.println();
        out.flush();
        routes.clear();
        windowStart = System.nanoTime();
    }

    private static double quantile(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
