package dev.netra.inject;

import io.fabric8.kubernetes.api.model.Quantity;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code netra.io/*} annotations of a pod template, validated: each bad value is an error
 * naming the annotation, the object and the value.
 *
 * @param serviceName          the service name of the pod's spans (default: the workload's name)
 * @param httpPorts            ports parsed as HTTP ({@code NETRA_HTTP_PORTS}), or null: detected
 * @param http2Ports           ports whose clients speak HTTP/2, gRPC's ({@code NETRA_HTTP2_PORTS}), or null
 * @param inboundPorts         inbound ports intercepted, {@code *} for all
 * @param outboundPorts        outbound ports intercepted, {@code *} for all
 * @param excludeInboundPorts  inbound ports never intercepted, or null
 * @param excludeOutboundPorts outbound ports never intercepted, or null
 * @param excludeOutboundCidrs outbound address blocks never intercepted, or null
 * @param tracingEndpoint      OTLP/HTTP endpoint, or null
 * @param sampling             share of new traces sampled (0 to 1), or null: every trace
 * @param resources            resource overrides of the sidecar, by {@code cpu-request} etc.
 */
record Annotations(String serviceName, String httpPorts, String http2Ports, String inboundPorts, String outboundPorts,
                   String excludeInboundPorts, String excludeOutboundPorts, String excludeOutboundCidrs,
                   String tracingEndpoint, String sampling, Map<String, Quantity> resources) {
    static final String PREFIX = "netra.io/";
    static final String INJECT = PREFIX + "inject";
    /** What netra added to the template, so that uninjecting removes exactly that. */
    static final String STATUS = PREFIX + "status";
    static final List<String> RESOURCE_KEYS = List.of("proxy-cpu-request", "proxy-cpu-limit", "proxy-memory-request",
            "proxy-memory-limit");
    private static final List<String> KNOWN = List.of("inject", "status", "service-name", "http-ports", "http2-ports", "inbound-ports",
            "outbound-ports", "exclude-inbound-ports", "exclude-outbound-ports", "exclude-outbound-cidrs",
            "tracing-endpoint", "sampling", "proxy-cpu-request", "proxy-cpu-limit", "proxy-memory-request",
            "proxy-memory-limit");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    /** Whether the template says not to inject ({@code netra.io/inject: disabled}). */
    static boolean disabled(Map<String, String> annotations, String object) {
        String v = annotations.get(INJECT);
        if (v == null || v.equals("enabled")) {
            return false;
        }
        if (v.equals("disabled")) {
            return true;
        }
        throw invalid(INJECT, object, v, "enabled or disabled");
    }

    static Annotations parse(Map<String, String> annotations, String object, String workloadName) {
        for (String key : annotations.keySet()) {
            if (key.startsWith(PREFIX) && !KNOWN.contains(key.substring(PREFIX.length()))) {
                throw new InjectException(object + ": unknown annotation " + key + " (known: netra.io/"
                        + String.join(", netra.io/", KNOWN) + ")");
            }
        }
        String name = annotations.getOrDefault(PREFIX + "service-name", workloadName);
        if (name == null || !DNS_LABEL.matcher(name).matches()) {
            throw invalid(PREFIX + "service-name", object, name, "a lower-case DNS name such as orders-api");
        }
        Map<String, Quantity> resources = new LinkedHashMap<>();
        for (String key : RESOURCE_KEYS) {
            String v = annotations.get(PREFIX + key);
            if (v != null) {
                resources.put(key, quantity(PREFIX + key, object, v, key.contains("cpu")));
            }
        }
        return new Annotations(name,
                ports(annotations, PREFIX + "http-ports", object, false),
                ports(annotations, PREFIX + "http2-ports", object, false),
                orDefault(ports(annotations, PREFIX + "inbound-ports", object, true), "*"),
                orDefault(ports(annotations, PREFIX + "outbound-ports", object, true), "*"),
                ports(annotations, PREFIX + "exclude-inbound-ports", object, false),
                ports(annotations, PREFIX + "exclude-outbound-ports", object, false),
                cidrs(annotations, PREFIX + "exclude-outbound-cidrs", object),
                endpoint(annotations, PREFIX + "tracing-endpoint", object),
                sampling(annotations, PREFIX + "sampling", object),
                Map.copyOf(resources));
    }

    private static String orDefault(String v, String def) {
        return v == null ? def : v;
    }

    private static InjectException invalid(String annotation, String object, String value, String expected) {
        return new InjectException(object + ": annotation " + annotation + "='" + value + "' is invalid: expected " + expected);
    }

    private static String ports(Map<String, String> annotations, String key, String object, boolean starAllowed) {
        String v = annotations.get(key);
        if (v == null) {
            return null;
        }
        String value = v.replace(" ", "");
        if (starAllowed && value.equals("*")) {
            return value;
        }
        String expected = (starAllowed ? "* or " : "") + "a comma list of ports 1-65535";
        if (value.isEmpty()) {
            throw invalid(key, object, v, expected);
        }
        for (String item : value.split(",", -1)) {
            int p;
            try {
                p = Integer.parseInt(item);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) {
                throw invalid(key, object, v, expected);
            }
        }
        return value;
    }

    private static String cidrs(Map<String, String> annotations, String key, String object) {
        String v = annotations.get(key);
        if (v == null) {
            return null;
        }
        String value = v.replace(" ", "");
        for (String item : value.split(",", -1)) {
            int slash = item.indexOf('/');
            try {
                byte[] address = java.net.InetAddress.ofLiteral(slash < 0 ? item : item.substring(0, slash)).getAddress();
                int prefix = slash < 0 ? address.length * 8 : Integer.parseInt(item.substring(slash + 1));
                if (prefix < 0 || prefix > address.length * 8) {
                    throw new IllegalArgumentException();
                }
            } catch (IllegalArgumentException e) {
                throw invalid(key, object, v, "a comma list of addresses or CIDR blocks such as 10.0.0.0/8");
            }
        }
        return value;
    }

    private static String endpoint(Map<String, String> annotations, String key, String object) {
        String v = annotations.get(key);
        if (v == null) {
            return null;
        }
        try {
            URI uri = new URI(v);
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new URISyntaxException(v, "not http(s) with a host");
            }
        } catch (URISyntaxException e) {
            throw invalid(key, object, v, "an http:// or https:// URL of an OTLP/HTTP collector, such as http://otel-collector:4318");
        }
        return v;
    }

    private static String sampling(Map<String, String> annotations, String key, String object) {
        String v = annotations.get(key);
        if (v == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(v);
            if (d >= 0 && d <= 1) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw invalid(key, object, v, "a share of traces from 0 to 1, such as 0.1");
    }

    private static Quantity quantity(String key, String object, String v, boolean cpu) {
        try {
            Quantity q = Quantity.parse(v);
            if (Quantity.getAmountInBytes(q).signum() > 0) {
                return q;
            }
        } catch (IllegalArgumentException | ArithmeticException ignored) {
            // reported below
        }
        throw invalid(key, object, v, cpu ? "a positive CPU quantity such as 100m" : "a positive memory quantity such as 128Mi");
    }
}
