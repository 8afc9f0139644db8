package dev.netra.sidecar.admin;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** An admin request's query parameters, and bounded numbers read from them with an error naming the parameter. */
final class Query {
    private Query() {
    }

    /** {@code a=1&b=x} as a map, decoded; a parameter without '=' is ignored. */
    static Map<String, String> parse(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String p : raw.split("&")) {
                int eq = p.indexOf('=');
                if (eq > 0) {
                    q.put(URLDecoder.decode(p.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    /** The parameter {@code name} as a number in {@code min..max}, {@code def} when absent. */
    static int bounded(Map<String, String> q, String name, int def, int min, int max) {
        String v = q.get(name);
        if (v == null) {
            return def;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", was '" + v + "'");
    }
}
