package dev.netra.sidecar.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything the sidecar is configured with, read once from the environment (netramesh's
 * variable names) and the command line, and validated here and nowhere else.
 */
public record SidecarConfig(
        String serviceName,
        LogLevel logLevel,
        int port,
        int pprofPort,
        java.net.InetAddress pprofBind,
        int prometheusPort,
        Set<Integer> httpPorts,
        Set<Integer> opaquePorts,
        Duration detectTimeout,
        int httpMaxHeaderBytes,
        Duration tracingContextExpiration,
        Duration tracingContextCleanupInterval,
        List<String> tracingIgnoredPaths,
        String requestIdHeader,
        Map<String, String> headerTagMap,
        Map<String, String> cookieTagMap,
        String xSourceHeader,
        String xSourceValue,
        boolean statsdEnabled,
        String statsdAddress,
        String statsdPrefix,
        boolean routingEnabled,
        String routingHeader,
        boolean routingCookieEnabled,
        String routingCookieName,
        Duration routingContextExpiration,
        Duration routingContextCleanupInterval,
        boolean routingRewriteHost,
        List<RouteTarget> routingAllowedTargets,
        List<AddressRange> routingTrustedSources,
        int routingMaxEntries,
        Duration upstreamIdleTimeout,
        Map<String, String> jaeger,
        TracingConfig tracing,
        int maxConnections,
        Duration connectTimeout,
        Duration shutdownGrace,
        int bufferBytes,
        boolean spliceEnabled,
        int platformThreadConnections,
        TimeoutConfig timeouts) {

    /** Jaeger client variables whose values are never printed. */
    private static final Set<String> SECRETS = Set.of("JAEGER_PASSWORD", "JAEGER_AUTH_TOKEN");
    /** Server-speaks-first protocols (SMTP, MySQL, PostgreSQL, Redis, ...), as linkerd skips them. */
    public static final Set<Integer> DEFAULT_OPAQUE_PORTS = Set.of(25, 587, 3306, 4444, 5432, 6379, 9300, 11211);
    private static final Set<String> SAMPLER_TYPES = Set.of("const", "probabilistic", "ratelimiting", "remote");

    /**
     * Builds the config from environment variables and command-line arguments.
     *
     * @throws ConfigException naming the first variable that is invalid
     */
    public static SidecarConfig from(Map<String, String> environment, List<String> args) {
        Env env = new Env(environment);
        String serviceName = serviceName(args);

        int port = env.port("NETRA_PORT", 14956, false);
        int pprofPort = env.port("NETRA_PPROF_PORT", 14957, true);
        int prometheusPort = env.port("NETRA_PROMETHEUS_PORT", 14958, false);
        if (prometheusPort == port) {
            throw new ConfigException("NETRA_PROMETHEUS_PORT='" + prometheusPort + "' is invalid: it equals NETRA_PORT");
        }
        if (pprofPort == port || pprofPort == prometheusPort) {
            throw new ConfigException("NETRA_PPROF_PORT='" + pprofPort
                    + "' is invalid: it equals NETRA_PORT or NETRA_PROMETHEUS_PORT");
        }

        boolean statsdEnabled = env.flag("NETRA_STATSD_ENABLED");
        String statsdAddress = env.string("NETRA_STATSD_ADDRESS", "");
        if (!statsdAddress.isEmpty()) {
            env.hostPort("NETRA_STATSD_ADDRESS", statsdAddress);
        } else if (statsdEnabled) {
            throw new ConfigException("NETRA_STATSD_ADDRESS='' is invalid: NETRA_STATSD_ENABLED=true needs a host:port");
        }

        Map<String, String> jaeger = jaeger(environment, env);
        return new SidecarConfig(
                serviceName,
                LogLevel.parse("NETRA_LOGGER_LEVEL", env.string("NETRA_LOGGER_LEVEL", "info")),
                port, pprofPort, env.ipLiteral("NETRA_PPROF_BIND", "127.0.0.1"), prometheusPort,
                env.ports("NETRA_HTTP_PORTS"),
                environment.containsKey("NETRA_OPAQUE_PORTS") ? env.ports("NETRA_OPAQUE_PORTS") : DEFAULT_OPAQUE_PORTS,
                Duration.ofMillis(env.integer("NETRA_DETECT_TIMEOUT_MILLISECONDS", 300, 1, 60_000)),
                env.integer("NETRA_HTTP_MAX_HEADER_BYTES", 64 * 1024, 1024, 1 << 20),
                env.millis("NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS", 5000),
                env.millis("NETRA_TRACING_CONTEXT_CLEANUP_INTERVAL", 1000),
                env.list("NETRA_HTTP_TRACING_IGNORED_PATHS"),
                env.headerName("NETRA_HTTP_REQUEST_ID_HEADER_NAME", "X-Request-Id"),
                env.pairs("HTTP_HEADER_TAG_MAP", ':'),
                env.pairs("HTTP_COOKIE_TAG_MAP", ':'),
                env.headerName("NETRA_HTTP_X_SOURCE_HEADER_NAME", "X-Source"),
                env.headerValue("NETRA_HTTP_X_SOURCE_VALUE", "netra"),
                statsdEnabled, statsdAddress,
                env.string("NETRA_STATSD_PREFIX", ""),
                env.flag("NETRA_HTTP_ROUTING_ENABLED"),
                env.headerName("NETRA_HTTP_ROUTING_HEADER_NAME", "X-Route"),
                env.flag("NETRA_HTTP_ROUTING_COOKIE_ENABLED"),
                env.headerName("NETRA_HTTP_ROUTING_COOKIE_NAME", "X-Route"),
                env.millis("NETRA_ROUTING_CONTEXT_EXPIRATION_MILLISECONDS", 5000),
                env.millis("NETRA_ROUTING_CONTEXT_CLEANUP_INTERVAL", 1000),
                env.flag("NETRA_HTTP_ROUTING_REWRITE_HOST"),
                RouteTarget.parseAll("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", env.list("NETRA_HTTP_ROUTING_ALLOWED_TARGETS")),
                env.list("NETRA_HTTP_ROUTING_TRUSTED_SOURCES").stream()
                        .map(c -> AddressRange.parse("NETRA_HTTP_ROUTING_TRUSTED_SOURCES", c.trim())).toList(),
                env.integer("NETRA_ROUTING_CONTEXT_MAX_ENTRIES", 100_000, 1, 10_000_000),
                env.millis("NETRA_UPSTREAM_IDLE_TIMEOUT_MILLISECONDS", 30_000),
                jaeger,
                TracingConfig.from(environment, env, jaeger),
                env.integer("NETRA_MAX_CONNECTIONS", 4096, 1, 1_000_000),
                Duration.ofMillis(env.integer("NETRA_CONNECT_TIMEOUT_MILLISECONDS", 10_000, 1, 600_000)),
                env.seconds("NETRA_SHUTDOWN_GRACE_SECONDS", 30),
                env.integer("NETRA_BUFFER_BYTES", 16_384, 1024, 1 << 20),
                env.flag("NETRA_SPLICE_ENABLED", true),
                env.integer("NETRA_PLATFORM_THREAD_CONNECTIONS", 4, 0, 64),
                TimeoutConfig.from(env));
    }

    private static String serviceName(List<String> args) {
        String name = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--service-name") || a.equals("-service-name")) {
                if (i + 1 >= args.size()) {
                    throw new ConfigException("--service-name needs a value");
                }
                name = args.get(++i);
            } else if (a.startsWith("--service-name=") || a.startsWith("-service-name=")) {
                name = a.substring(a.indexOf('=') + 1);
            } else {
                throw new ConfigException("unknown argument '" + a + "' (usage: netra sidecar --service-name NAME)");
            }
        }
        if (name == null || name.isBlank()) {
            throw new ConfigException("--service-name is required (the service name of this pod's spans)");
        }
        return name.trim();
    }

    /** Every JAEGER_* variable, with the ones netra interprets validated. */
    private static Map<String, String> jaeger(Map<String, String> environment, Env env) {
        Map<String, String> jaeger = new TreeMap<>();
        environment.forEach((k, v) -> {
            if (k.startsWith("JAEGER_") && v != null && !v.isBlank()) {
                jaeger.put(k, v.trim());
            }
        });
        env.port("JAEGER_AGENT_PORT", 6831, false);
        env.uri("JAEGER_ENDPOINT");
        String sampler = jaeger.get("JAEGER_SAMPLER_TYPE");
        if (sampler != null && !SAMPLER_TYPES.contains(sampler.toLowerCase(Locale.ROOT))) {
            throw ConfigException.invalid("JAEGER_SAMPLER_TYPE", sampler, "const, probabilistic, ratelimiting or remote");
        }
        env.number("JAEGER_SAMPLER_PARAM", 1, 0, Double.MAX_VALUE);
        env.pairs("JAEGER_TAGS", '=');
        return Map.copyOf(jaeger);
    }

    /** One line per setting, secrets masked: what start-up logs. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("service-name=" + serviceName);
        lines.add("NETRA_LOGGER_LEVEL=" + logLevel.name().toLowerCase(Locale.ROOT));
        lines.add("NETRA_PORT=" + port);
        lines.add("NETRA_PPROF_PORT=" + pprofPort);
        lines.add("NETRA_PPROF_BIND=" + pprofBind.getHostAddress());
        lines.add("NETRA_PROMETHEUS_PORT=" + prometheusPort);
        lines.add("NETRA_HTTP_PORTS=" + httpPorts);
        lines.add("NETRA_OPAQUE_PORTS=" + new java.util.TreeSet<>(opaquePorts));
        lines.add("NETRA_DETECT_TIMEOUT_MILLISECONDS=" + detectTimeout.toMillis());
        lines.add("NETRA_HTTP_MAX_HEADER_BYTES=" + httpMaxHeaderBytes);
        lines.add("NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS=" + tracingContextExpiration.toMillis());
        lines.add("NETRA_TRACING_CONTEXT_CLEANUP_INTERVAL=" + tracingContextCleanupInterval.toMillis());
        lines.add("NETRA_HTTP_TRACING_IGNORED_PATHS=" + tracingIgnoredPaths);
        lines.add("NETRA_HTTP_REQUEST_ID_HEADER_NAME=" + requestIdHeader);
        lines.add("HTTP_HEADER_TAG_MAP=" + headerTagMap);
        lines.add("HTTP_COOKIE_TAG_MAP=" + cookieTagMap);
        lines.add("NETRA_HTTP_X_SOURCE_HEADER_NAME=" + xSourceHeader);
        lines.add("NETRA_HTTP_X_SOURCE_VALUE=" + xSourceValue);
        lines.add("NETRA_STATSD_ENABLED=" + statsdEnabled);
        lines.add("NETRA_STATSD_ADDRESS=" + statsdAddress);
        lines.add("NETRA_STATSD_PREFIX=" + statsdPrefix);
        lines.add("NETRA_HTTP_ROUTING_ENABLED=" + routingEnabled);
        lines.add("NETRA_HTTP_ROUTING_HEADER_NAME=" + routingHeader);
        lines.add("NETRA_HTTP_ROUTING_COOKIE_ENABLED=" + routingCookieEnabled);
        lines.add("NETRA_HTTP_ROUTING_COOKIE_NAME=" + routingCookieName);
        lines.add("NETRA_ROUTING_CONTEXT_EXPIRATION_MILLISECONDS=" + routingContextExpiration.toMillis());
        lines.add("NETRA_ROUTING_CONTEXT_CLEANUP_INTERVAL=" + routingContextCleanupInterval.toMillis());
        lines.add("NETRA_HTTP_ROUTING_REWRITE_HOST=" + routingRewriteHost);
        lines.add("NETRA_HTTP_ROUTING_ALLOWED_TARGETS=" + routingAllowedTargets);
        lines.add("NETRA_HTTP_ROUTING_TRUSTED_SOURCES=" + routingTrustedSources);
        lines.add("NETRA_ROUTING_CONTEXT_MAX_ENTRIES=" + routingMaxEntries);
        lines.add("NETRA_UPSTREAM_IDLE_TIMEOUT_MILLISECONDS=" + upstreamIdleTimeout.toMillis());
        jaeger.forEach((k, v) -> lines.add(k + "=" + (SECRETS.contains(k) ? "(set, hidden)" : Secrets.shown(k, v))));
        lines.addAll(tracing.describe());
        lines.add("NETRA_MAX_CONNECTIONS=" + maxConnections);
        lines.add("NETRA_CONNECT_TIMEOUT_MILLISECONDS=" + connectTimeout.toMillis());
        lines.add("NETRA_SHUTDOWN_GRACE_SECONDS=" + shutdownGrace.toSeconds());
        lines.add("NETRA_BUFFER_BYTES=" + bufferBytes);
        lines.add("NETRA_SPLICE_ENABLED=" + spliceEnabled);
        lines.add("NETRA_PLATFORM_THREAD_CONNECTIONS=" + platformThreadConnections);
        lines.addAll(timeouts.describe());
        lines.replaceAll(Secrets::withoutUserinfo); // whatever variable a URL with a password was put in
        return lines;
    }
}
