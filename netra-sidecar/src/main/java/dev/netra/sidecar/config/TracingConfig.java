package dev.netra.sidecar.config;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Tracing settings: netramesh's Jaeger client variables, the standard OpenTelemetry ones, and
 * netra's. Built and validated as part of {@link SidecarConfig}.
 *
 * @param spanNames        "netramesh" (inbound: path, outbound: host + path) or "otel" (method)
 * @param attributes       which attribute sets spans carry: netramesh, otel or both
 * @param urlQuery         whether url.query is recorded (it may carry secrets)
 * @param propagators      formats injected into forwarded requests (OTEL_PROPAGATORS)
 * @param sampler          root sampler: always_on, always_off, ratio or ratelimiting
 * @param samplerArg       its argument: a ratio, or traces per second
 * @param otlpEndpoint     OTLP/HTTP traces URL, or null
 * @param otlpHeaders      headers sent with each export (values are secrets)
 * @param otlpTimeout      export timeout
 * @param jaegerAgent      host:port of a Jaeger agent (Thrift compact over UDP), or null
 * @param resource         resource attributes (OTEL_RESOURCE_ATTRIBUTES, JAEGER_TAGS, POD_NAME, POD_NAMESPACE)
 * @param maxContexts      bound of the request-id to span-context store
 * @param queueSize        spans waiting for export at most; more are dropped and counted
 * @param jaeger           every JAEGER_* variable set (netramesh's client's)
 * @param contextExpiration      NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS
 * @param contextCleanupInterval NETRA_TRACING_CONTEXT_CLEANUP_INTERVAL
 * @param ignoredPaths     NETRA_HTTP_TRACING_IGNORED_PATHS
 * @param headerTags       HTTP_HEADER_TAG_MAP
 * @param cookieTags       HTTP_COOKIE_TAG_MAP
 */
public record TracingConfig(String spanNames, String attributes, boolean urlQuery, List<String> propagators,
                            String sampler, double samplerArg, URI otlpEndpoint, Map<String, String> otlpHeaders,
                            Duration otlpTimeout, String jaegerAgent, Map<String, String> resource, int maxContexts,
                            int queueSize, Map<String, String> jaeger, Duration contextExpiration,
                            Duration contextCleanupInterval, List<String> ignoredPaths, Map<String, String> headerTags,
                            Map<String, String> cookieTags) {

    private static final Set<String> PROPAGATORS = Set.of("tracecontext", "baggage", "jaeger", "b3", "b3multi", "none");

    static TracingConfig from(Env env, Map<String, String> jaeger, Settings.Values v) {
        String spanNames = env.string("NETRA_TRACING_SPAN_NAMES", "netramesh").toLowerCase(Locale.ROOT);
        if (!spanNames.equals("netramesh") && !spanNames.equals("otel")) {
            throw ConfigException.invalid("NETRA_TRACING_SPAN_NAMES", spanNames, "netramesh or otel");
        }
        String attributes = env.string("NETRA_TRACING_ATTRIBUTES", "both").toLowerCase(Locale.ROOT);
        if (!Set.of("netramesh", "otel", "both").contains(attributes)) {
            throw ConfigException.invalid("NETRA_TRACING_ATTRIBUTES", attributes, "netramesh, otel or both");
        }
        List<String> propagators = env.get("OTEL_PROPAGATORS") == null
                ? List.of("tracecontext", "baggage", "jaeger") : env.list("OTEL_PROPAGATORS");
        for (String p : propagators) {
            if (!PROPAGATORS.contains(p)) {
                throw ConfigException.invalid("OTEL_PROPAGATORS", env.get("OTEL_PROPAGATORS"),
                        "a comma list of tracecontext, baggage, jaeger, b3, b3multi, none (bad item '" + p + "')");
            }
        }

        String sampler;
        double arg;
        if (jaeger.containsKey("JAEGER_SAMPLER_TYPE")) {
            String type = jaeger.get("JAEGER_SAMPLER_TYPE").toLowerCase(Locale.ROOT);
            double param = env.number("JAEGER_SAMPLER_PARAM", 1, 0, Double.MAX_VALUE);
            switch (type) {
                case "const" -> {
                    sampler = param >= 1 ? "always_on" : "always_off";
                    arg = 1;
                }
                case "probabilistic" -> {
                    sampler = "ratio";
                    arg = env.number("JAEGER_SAMPLER_PARAM", 0.001, 0, 1);
                }
                case "ratelimiting" -> {
                    sampler = "ratelimiting";
                    arg = param;
                }
                default -> { // remote: no sampling server to ask; its client default is 0.1% probabilistic
                    sampler = "ratio";
                    arg = 0.001;
                }
            }
        } else {
            String otel = env.string("OTEL_TRACES_SAMPLER", "parentbased_always_on").toLowerCase(Locale.ROOT);
            String base = otel.startsWith("parentbased_") ? otel.substring("parentbased_".length()) : otel;
            switch (base) {
                case "always_on", "always_off" -> {
                    sampler = base;
                    arg = 1;
                }
                case "traceidratio" -> {
                    sampler = "ratio";
                    arg = env.number("OTEL_TRACES_SAMPLER_ARG", 1, 0, 1);
                }
                default -> throw ConfigException.invalid("OTEL_TRACES_SAMPLER", otel,
                        "always_on, always_off, traceidratio (or parentbased_ of these)");
            }
        }

        String protocol = env.string("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", env.string("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));
        if (!protocol.equals("http/protobuf")) {
            throw ConfigException.invalid("OTEL_EXPORTER_OTLP_PROTOCOL", protocol,
                    "http/protobuf (netra sends OTLP with the JDK's HTTP client, which cannot do gRPC; "
                            + "collectors and Jaeger take OTLP/HTTP on port 4318)");
        }
        URI endpoint = env.uri("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (endpoint == null) {
            URI base = env.uri("OTEL_EXPORTER_OTLP_ENDPOINT");
            if (base != null) {
                // the signal's path goes after the base path, before any query
                String path = base.getRawPath() == null ? "" : base.getRawPath();
                String s = base.getScheme() + "://" + base.getRawAuthority() + path + (path.endsWith("/") ? "" : "/")
                        + "v1/traces" + (base.getRawQuery() == null ? "" : "?" + base.getRawQuery());
                endpoint = URI.create(s);
            }
        }
        if (jaeger.containsKey("JAEGER_ENDPOINT")) {
            throw ConfigException.invalid("JAEGER_ENDPOINT", jaeger.get("JAEGER_ENDPOINT"),
                    "nothing: Jaeger's Thrift-over-HTTP collector endpoint is not supported; Jaeger takes OTLP, so set "
                            + "OTEL_EXPORTER_OTLP_ENDPOINT=http://<collector>:4318 instead (or JAEGER_AGENT_HOST for the agent)");
        }
        String agent = null;
        if (jaeger.containsKey("JAEGER_AGENT_HOST")) {
            agent = jaeger.get("JAEGER_AGENT_HOST") + ":" + env.port("JAEGER_AGENT_PORT", 6831, false);
        }

        Map<String, String> resource = new LinkedHashMap<>(env.pairs("OTEL_RESOURCE_ATTRIBUTES", '='));
        resource.putAll(env.pairs("JAEGER_TAGS", '='));
        if (env.get("POD_NAME") != null) {
            resource.put("k8s.pod.name", env.get("POD_NAME"));
        }
        if (env.get("POD_NAMESPACE") != null) {
            resource.put("k8s.namespace.name", env.get("POD_NAMESPACE"));
        }
        if (env.get("NODE_NAME") != null) {
            resource.put("k8s.node.name", env.get("NODE_NAME"));
        }
        Map<String, String> headers = env.pairs("OTEL_EXPORTER_OTLP_TRACES_HEADERS", '=').isEmpty()
                ? env.pairs("OTEL_EXPORTER_OTLP_HEADERS", '=') : env.pairs("OTEL_EXPORTER_OTLP_TRACES_HEADERS", '=');
        int timeout = env.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") != null
                ? env.integer("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", 10_000, 1, 600_000)
                : env.integer("OTEL_EXPORTER_OTLP_TIMEOUT", 10_000, 1, 600_000);
        return new TracingConfig(spanNames, attributes, env.flag("NETRA_TRACING_URL_QUERY"), List.copyOf(propagators),
                sampler, arg, endpoint, Map.copyOf(headers), Duration.ofMillis(timeout), agent, Map.copyOf(resource),
                env.integer("NETRA_TRACING_CONTEXT_MAX_ENTRIES", 100_000, 1, 10_000_000),
                env.integer("NETRA_TRACING_QUEUE_SIZE", 2048, 1, 1_000_000), jaeger,
                v.get(Settings.TRACING_CONTEXT_EXPIRATION), v.get(Settings.TRACING_CONTEXT_CLEANUP),
                v.get(Settings.TRACING_IGNORED_PATHS), v.get(Settings.HEADER_TAG_MAP), v.get(Settings.COOKIE_TAG_MAP));
    }

    /** For the start-up log line: header values hidden. */
    List<String> describe() {
        return List.of("NETRA_TRACING_SPAN_NAMES=" + spanNames, "NETRA_TRACING_ATTRIBUTES=" + attributes,
                "NETRA_TRACING_URL_QUERY=" + urlQuery, "OTEL_PROPAGATORS=" + String.join(",", propagators),
                "sampler=parentbased_" + sampler + (sampler.equals("ratio") || sampler.equals("ratelimiting") ? "(" + samplerArg + ")" : ""),
                "otlp=" + (otlpEndpoint == null ? "(none)" : Secrets.url(otlpEndpoint)) + " headers=" + otlpHeaders.keySet()
                        + " timeout=" + otlpTimeout.toMillis() + "ms",
                "jaeger-agent=" + (jaegerAgent == null ? "(none)" : jaegerAgent), "resource=" + resource,
                "NETRA_TRACING_CONTEXT_MAX_ENTRIES=" + maxContexts, "NETRA_TRACING_QUEUE_SIZE=" + queueSize);
    }
}
