package dev.netra.sidecar.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Typed, validated reads of environment variables; every error names the variable and its value. */
final class Env {
    private final Map<String, String> env;

    Env(Map<String, String> env) {
        this.env = env;
    }

    /** The trimmed value, or null when unset or blank. */
    String get(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    String string(String name, String def) {
        String v = get(name);
        return v == null ? def : v;
    }

    /** A header name: an RFC 9110 token. */
    String headerName(String name, String def) {
        String v = string(name, def);
        if (!isToken(v)) {
            throw ConfigException.invalid(name, v, "an HTTP header name (an RFC 9110 token, no spaces)");
        }
        return v;
    }

    /** A header value: visible ASCII and spaces only, so it can never split a header block. */
    String headerValue(String name, String def) {
        String v = env.getOrDefault(name, def);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) {
                throw ConfigException.invalid(name, v, "a header value without control characters");
            }
        }
        return v.trim();
    }

    int port(String name, int def, boolean zeroAllowed) {
        String v = get(name);
        if (v == null) {
            return def;
        }
        int p = parseInt(name, v, zeroAllowed ? "0 (disabled) or a port 1-65535" : "a port 1-65535");
        if (p < (zeroAllowed ? 0 : 1) || p > 65535) {
            throw ConfigException.invalid(name, v, zeroAllowed ? "0 (disabled) or a port 1-65535" : "a port 1-65535");
        }
        return p;
    }

    Set<Integer> ports(String name) {
        Set<Integer> ports = new LinkedHashSet<>();
        for (String item : list(name)) {
            int p;
            try {
                p = Integer.parseInt(item);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) {
                throw ConfigException.invalid(name, env.get(name), "a comma list of ports 1-65535 (bad item '" + item + "')");
            }
            ports.add(p);
        }
        return Collections.unmodifiableSet(ports);
    }

    int integer(String name, int def, int min, int max) {
        String v = get(name);
        if (v == null) {
            return def;
        }
        String expected = "an integer from " + min + " to " + max;
        int i = parseInt(name, v, expected);
        if (i < min || i > max) {
            throw ConfigException.invalid(name, v, expected);
        }
        return i;
    }

    Duration millis(String name, long def) {
        return Duration.ofMillis(integer(name, (int) def, 1, Integer.MAX_VALUE));
    }

    Duration seconds(String name, long def) {
        return Duration.ofSeconds(integer(name, (int) def, 0, 86_400));
    }

    /**
     * netramesh enables a flag only on the exact string "true"; so does netra, and any other value
     * than true/false is reported instead of silently read as false.
     */
    boolean flag(String name) {
        return flag(name, false);
    }

    boolean flag(String name, boolean def) {
        String v = get(name);
        if (v == null) {
            return def;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ConfigException.invalid(name, v, "true or false");
        };
    }

    double number(String name, double def, double min, double max) {
        String v = get(name);
        if (v == null) {
            return def;
        }
        try {
            double d = Double.parseDouble(v);
            if (d >= min && d <= max) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ConfigException.invalid(name, v, "a number from " + min + " to " + max);
    }

    /** Comma list, spaces tolerated, empty items dropped. */
    List<String> list(String name) {
        String v = get(name);
        if (v == null) {
            return List.of();
        }
        List<String> items = new ArrayList<>();
        for (String item : v.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return List.copyOf(items);
    }

    /** {@code key:value,key:value} (netramesh's tag maps). */
    Map<String, String> pairs(String name, char separator) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String item : list(name)) {
            int at = item.indexOf(separator);
            if (at <= 0 || at == item.length() - 1) {
                throw ConfigException.invalid(name, env.get(name),
                        "a comma list of key" + separator + "value pairs (bad item '" + Secrets.shown(name, item) + "')");
            }
            map.put(item.substring(0, at).trim(), item.substring(at + 1).trim());
        }
        return Collections.unmodifiableMap(map);
    }

    /** host:port, as statsd and Jaeger addresses are written. */
    String hostPort(String name, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw ConfigException.invalid(name, value, "host:port");
        }
        int p = parseInt(name, value.substring(colon + 1), "host:port with a port 1-65535");
        if (p < 1 || p > 65535) {
            throw ConfigException.invalid(name, value, "host:port with a port 1-65535");
        }
        return value;
    }

    /** An IPv4 or IPv6 address literal (never a name: nothing is looked up). */
    java.net.InetAddress ipLiteral(String name, String def) {
        String v = string(name, def);
        try {
            return java.net.InetAddress.ofLiteral(v);
        } catch (IllegalArgumentException e) {
            throw ConfigException.invalid(name, v, "an IP address such as 127.0.0.1, 0.0.0.0 or ::");
        }
    }

    URI uri(String name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        try {
            URI uri = new URI(v);
            if (uri.getScheme() == null || uri.getHost() == null
                    || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw ConfigException.invalid(name, v, "an http:// or https:// URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw ConfigException.invalid(name, v, "an http:// or https:// URL");
        }
    }

    private static int parseInt(String name, String v, String expected) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw ConfigException.invalid(name, v, expected);
        }
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
