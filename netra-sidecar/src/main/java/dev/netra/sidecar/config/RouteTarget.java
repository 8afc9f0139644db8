package dev.netra.sidecar.config;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One entry of NETRA_HTTP_ROUTING_ALLOWED_TARGETS: a host name ({@code svc-v2}), a domain suffix
 * ({@code .staging.svc.cluster.local}), an address or CIDR block ({@code 10.8.0.0/16}, matched
 * against address targets only: nothing is looked up to check a name), each optionally with
 * {@code :port}; or {@code *}, any target (netramesh's behaviour, chosen explicitly).
 */
public record RouteTarget(String host, String suffix, AddressRange range, int port, String text) {
    static List<RouteTarget> parseAll(String variable, List<String> items) {
        List<RouteTarget> targets = new ArrayList<>();
        for (String item : items) {
            targets.add(parse(variable, item.trim()));
        }
        return List.copyOf(targets);
    }

    static RouteTarget parse(String variable, String item) {
        if (item.equals("*")) {
            return new RouteTarget(null, null, null, -1, item);
        }
        String spec = item;
        int port = -1;
        int colon = spec.lastIndexOf(':');
        boolean bracketed = spec.startsWith("[");
        boolean ipv6Bare = !bracketed && spec.indexOf(':') != colon; // fd00::/8 has no port part
        if (colon > 0 && !ipv6Bare && (!bracketed || spec.charAt(colon - 1) == ']' || spec.indexOf(']') < colon)) {
            try {
                port = Integer.parseInt(spec.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = 0;
            }
            if (port < 1 || port > 65535) {
                throw new ConfigException(variable + ": '" + item + "' has a bad port (expected 1-65535)");
            }
            spec = spec.substring(0, colon);
        }
        if (spec.startsWith("[") && spec.contains("]")) {
            spec = spec.substring(1, spec.indexOf(']')) + spec.substring(spec.indexOf(']') + 1);
        }
        if (spec.isEmpty()) {
            throw new ConfigException(variable + ": '" + item + "' names no host");
        }
        char first = spec.charAt(0);
        boolean addressLike = spec.contains("/") || Character.isDigit(first) && spec.chars().allMatch(c -> c == '.' || Character.isDigit(c))
                || spec.contains(":");
        if (addressLike) {
            return new RouteTarget(null, null, AddressRange.parse(variable, spec), port, item);
        }
        String lower = spec.toLowerCase(Locale.ROOT);
        if (!lower.matches("\\.?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")) {
            throw new ConfigException(variable + ": '" + item + "' is not a host name, .domain, address or CIDR block");
        }
        return lower.startsWith(".") ? new RouteTarget(null, lower, null, port, item) : new RouteTarget(lower, null, null, port, item);
    }

    /** Whether a route to {@code host} (lower case, no brackets) and {@code port} is allowed by this entry. */
    public boolean allows(String host, int port) {
        if (this.port > 0 && this.port != port) {
            return false;
        }
        if (text.equals("*")) {
            return true;
        }
        if (this.host != null) {
            return this.host.equals(host);
        }
        if (suffix != null) {
            return host.endsWith(suffix);
        }
        try {
            return range.contains(InetAddress.ofLiteral(host));
        } catch (IllegalArgumentException e) {
            return false; // a name: address blocks match addresses only
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
