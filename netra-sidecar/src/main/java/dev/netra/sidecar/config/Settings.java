package dev.netra.sidecar.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The sidecar's configuration table: every NETRA_* variable (and netramesh's tag maps) with its
 * default, parser and meaning, by concern. {@link SidecarConfig} is built from it, the start-up
 * line prints it, and docs/configuration.md holds it row for row. The tracing variables
 * (OTEL_*, JAEGER_*, NETRA_TRACING_*) are read by {@link TracingConfig} and documented in
 * docs/tracing.md.
 */
public final class Settings {
    private Settings() {
    }

    // --- the proxy ---
    static final Setting<LogLevel> LOGGER_LEVEL = new Setting<>("NETRA_LOGGER_LEVEL", "info",
            "debug, info, warning (warn), error, fatal; logs go to stderr",
            env -> LogLevel.parse("NETRA_LOGGER_LEVEL", env.string("NETRA_LOGGER_LEVEL", "info")), LogLevel::label);
    static final Setting<Integer> PORT = port("NETRA_PORT", 14956, false,
            "listen port for intercepted connections (IPv4 and IPv6)");
    static final Setting<Integer> MAX_CONNECTIONS = integer("NETRA_MAX_CONNECTIONS", 4096, 1, 1_000_000,
            "open intercepted connections at most; more wait in the kernel backlog (counted)");
    static final Setting<Duration> CONNECT_TIMEOUT = millis("NETRA_CONNECT_TIMEOUT_MILLISECONDS", 10_000, 1, 600_000,
            "connect timeout towards an upstream");
    static final Setting<Duration> SHUTDOWN_GRACE = seconds("NETRA_SHUTDOWN_GRACE_SECONDS", 30,
            "on SIGTERM: stop accepting, let open connections finish this long, then reset them and exit 0");
    static final Setting<Integer> BUFFER_BYTES = integer("NETRA_BUFFER_BYTES", 16_384, 1024, 1 << 20,
            "copy buffer a busy direction borrows (direct memory, pooled); an idle direction holds 4 KB, a bulk one"
                    + " a 256 KB buffer (32 at most) ([how it works](how-it-works.md))");
    static final Setting<Boolean> SPLICE_ENABLED = flag("NETRA_SPLICE_ENABLED", true,
            "bulk flows of unchanged bytes (plain TCP, tunnels, long HTTP bodies) move socket to socket by `splice(2)`,"
                    + " 64 at most; `false` copies every byte (for a kernel or sandbox that refuses splice on sockets)"
                    + " ([how it works](how-it-works.md))");
    static final Setting<Integer> PLATFORM_THREAD_CONNECTIONS = integer("NETRA_PLATFORM_THREAD_CONNECTIONS", 4, 0, 64,
            "while at most this many connections are open, each runs on pooled platform threads (less CPU per request:"
                    + " [performance](performance.md)); more move to virtual threads; `0`: virtual threads only");
    static final Setting<Duration> IDLE_TIMEOUT = seconds("NETRA_IDLE_TIMEOUT_SECONDS", 3600,
            "a connection with no byte either way for this long is closed (0 = never) ([timeouts](operations.md#timeouts))");
    static final Setting<Duration> HALF_CLOSED_TIMEOUT = seconds("NETRA_HALF_CLOSED_TIMEOUT_SECONDS", 60,
            "once one side ended, the other may stay silent this long, then the connection is reset");
    static final Setting<Duration> REQUEST_HEAD_TIMEOUT = seconds("NETRA_HTTP_REQUEST_HEAD_TIMEOUT_SECONDS", 60,
            "an HTTP request head must be complete this long after its first byte (slowloris), else reset");
    static final Setting<Duration> RESPONSE_HEAD_TIMEOUT = seconds("NETRA_HTTP_RESPONSE_HEAD_TIMEOUT_SECONDS", 0,
            "an HTTP response head must begin this long after its request was sent, else reset (0 = off)");

    // --- HTTP ---
    static final Setting<Set<Integer>> HTTP_PORTS = new Setting<>("NETRA_HTTP_PORTS", "none",
            "comma list of original-destination ports treated as HTTP (HTTP/1, or HTTP/2 by its preface); when set, only these"
                    + " are parsed (as netramesh);"
                    + " their first bytes are still checked, and anything else goes on raw (counted)",
            env -> env.ports("NETRA_HTTP_PORTS"), Settings::ports);
    static final Setting<Set<Integer>> HTTP2_PORTS = new Setting<>("NETRA_HTTP2_PORTS", "none",
            "comma list of original-destination ports whose clients speak HTTP/2 with prior knowledge (gRPC);"
                    + " parsed like `NETRA_HTTP_PORTS` (also when that list is set), either HTTP version accepted",
            env -> env.ports("NETRA_HTTP2_PORTS"), Settings::ports);
    static final Setting<Boolean> HTTP2 = flag("NETRA_HTTP2", true,
            "parse cleartext HTTP/2 (the client's preface tells it) wherever HTTP/1 is parsed: spans and metrics per"
                    + " stream, trace headers appended to each request's header block; false passes it on raw");
    static final Setting<Set<Integer>> OPAQUE_PORTS = new Setting<>("NETRA_OPAQUE_PORTS", "25,587,3306,4444,5432,6379,9300,11211",
            "without `NETRA_HTTP_PORTS`: ports never detected (server-speaks-first protocols)",
            env -> env.get("NETRA_OPAQUE_PORTS") != null ? env.ports("NETRA_OPAQUE_PORTS") : SidecarConfig.DEFAULT_OPAQUE_PORTS,
            Settings::ports);
    static final Setting<Duration> DETECT_TIMEOUT = millis("NETRA_DETECT_TIMEOUT_MILLISECONDS", 300, 1, 60_000,
            "how long a client's first bytes may stay too few to tell its protocol; then the connection goes on raw."
                    + " With routing, also how long a client may stay silent before it is taken for one that waits for"
                    + " its server to speak first");
    static final Setting<Integer> MAX_HEADER_BYTES = integer("NETRA_HTTP_MAX_HEADER_BYTES", 64 * 1024, 1024, 1 << 20,
            "a request or response head above this makes the connection go on raw (counted)");
    static final Setting<String> REQUEST_ID_HEADER = headerName("NETRA_HTTP_REQUEST_ID_HEADER_NAME", "X-Request-Id",
            "request-id header");
    static final Setting<String> X_SOURCE_HEADER = headerName("NETRA_HTTP_X_SOURCE_HEADER_NAME", "X-Source",
            "header set on outbound requests");
    static final Setting<String> X_SOURCE_VALUE = new Setting<>("NETRA_HTTP_X_SOURCE_VALUE", "netra",
            "its value", env -> env.headerValue("NETRA_HTTP_X_SOURCE_VALUE", "netra"), v -> v);

    // --- tracing (netra's and netramesh's; the rest in TracingConfig) ---
    static final Setting<Duration> TRACING_CONTEXT_EXPIRATION = millis("NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS", 5000,
            "how long an inbound request's trace context is kept for the app's calls with the same request id");
    static final Setting<Duration> TRACING_CONTEXT_CLEANUP = millis("NETRA_TRACING_CONTEXT_CLEANUP_INTERVAL", 1000,
            "how often expired trace contexts are swept");
    static final Setting<List<String>> TRACING_IGNORED_PATHS = new Setting<>("NETRA_HTTP_TRACING_IGNORED_PATHS", "none",
            "exact paths without spans", env -> env.list("NETRA_HTTP_TRACING_IGNORED_PATHS"), l -> String.join(",", l));
    static final Setting<Map<String, String>> HEADER_TAG_MAP = pairs("HTTP_HEADER_TAG_MAP",
            "`header:tag,...`: request headers recorded as span tags");
    static final Setting<Map<String, String>> COOKIE_TAG_MAP = pairs("HTTP_COOKIE_TAG_MAP",
            "`cookie:tag,...`: cookies recorded as span tags");

    // --- routing ---
    static final Setting<Boolean> ROUTING_ENABLED = flag("NETRA_HTTP_ROUTING_ENABLED", false,
            "header/cookie routing of the app's outbound HTTP calls ([routing](routing.md))");
    static final Setting<String> ROUTING_HEADER = headerName("NETRA_HTTP_ROUTING_HEADER_NAME", "X-Route",
            "the routing header");
    static final Setting<Boolean> ROUTING_COOKIE_ENABLED = flag("NETRA_HTTP_ROUTING_COOKIE_ENABLED", false,
            "routing by cookie too");
    static final Setting<String> ROUTING_COOKIE_NAME = headerName("NETRA_HTTP_ROUTING_COOKIE_NAME", "X-Route",
            "the routing cookie");
    static final Setting<Duration> ROUTING_CONTEXT_EXPIRATION = millis("NETRA_ROUTING_CONTEXT_EXPIRATION_MILLISECONDS", 5000,
            "how long an inbound request's routing value is kept for the app's calls with the same request id");
    static final Setting<Duration> ROUTING_CONTEXT_CLEANUP = millis("NETRA_ROUTING_CONTEXT_CLEANUP_INTERVAL", 1000,
            "how often expired routing values are swept");
    static final Setting<Boolean> ROUTING_REWRITE_HOST = flag("NETRA_HTTP_ROUTING_REWRITE_HOST", false,
            "a routed request's Host header names its new target");
    static final Setting<List<RouteTarget>> ROUTING_ALLOWED_TARGETS = new Setting<>("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "none",
            "where routes may go ([routing](routing.md))",
            env -> RouteTarget.parseAll("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", env.list("NETRA_HTTP_ROUTING_ALLOWED_TARGETS")),
            Settings::joined);
    static final Setting<List<AddressRange>> ROUTING_TRUSTED_SOURCES = new Setting<>("NETRA_HTTP_ROUTING_TRUSTED_SOURCES", "none",
            "whose inbound routing values steer the app's calls ([routing](routing.md))",
            env -> env.list("NETRA_HTTP_ROUTING_TRUSTED_SOURCES").stream()
                    .map(c -> AddressRange.parse("NETRA_HTTP_ROUTING_TRUSTED_SOURCES", c.trim())).toList(),
            Settings::joined);
    static final Setting<Integer> ROUTING_MAX_ENTRIES = integer("NETRA_ROUTING_CONTEXT_MAX_ENTRIES", 100_000, 1, 10_000_000,
            "routing values kept at most (also bounded in bytes)");
    static final Setting<Duration> UPSTREAM_IDLE_TIMEOUT = millis("NETRA_UPSTREAM_IDLE_TIMEOUT_MILLISECONDS", 30_000,
            "a routed connection's pooled upstream connection idle this long is not reused");

    // --- admin endpoints and statsd ---
    static final Setting<Integer> PROMETHEUS_PORT = port("NETRA_PROMETHEUS_PORT", 14958, false,
            "`/metrics`, `/ready`, `/live` (all interfaces)");
    static final Setting<Integer> PPROF_PORT = port("NETRA_PPROF_PORT", 14957, true, "profiling endpoints and the live tap, `/tap` (0 = off)");
    static final Setting<InetAddress> PPROF_BIND = new Setting<>("NETRA_PPROF_BIND", "127.0.0.1",
            "address the profiling endpoints listen on (netramesh used every interface: anyone reaching the pod could profile it)",
            env -> env.ipLiteral("NETRA_PPROF_BIND", "127.0.0.1"), InetAddress::getHostAddress);
    static final Setting<Boolean> STATSD_ENABLED = flag("NETRA_STATSD_ENABLED", false,
            "statsd metrics; enabled without an address is an error");
    static final Setting<String> STATSD_ADDRESS = new Setting<>("NETRA_STATSD_ADDRESS", "\"\"", "statsd host:port",
            env -> {
                String a = env.string("NETRA_STATSD_ADDRESS", "");
                return a.isEmpty() ? a : env.hostPort("NETRA_STATSD_ADDRESS", a);
            }, v -> v);
    static final Setting<String> ACCESS_LOG = new Setting<>("NETRA_ACCESS_LOG", "off",
            "`off`, `text` or `json`: one line per HTTP exchange on standard output (time, direction, peer and"
                    + " destination, method, authority, path, status, sizes, duration, request and trace id, how it ended),"
                    + " written by a thread of its own; lines the output cannot take are dropped and counted",
            env -> choice(env, "NETRA_ACCESS_LOG", "off", "off", "text", "json"), v -> v);
    static final Setting<String> LOG_FORMAT = new Setting<>("NETRA_LOG_FORMAT", "text",
            "`text` or `json`: the sidecar's own log lines on standard error; `json` writes one object per line"
                    + " (time, level, service, conn, message, error) ([operations](operations.md#logs))",
            env -> choice(env, "NETRA_LOG_FORMAT", "text", "text", "json"), v -> v);
    static final Setting<Integer> METRICS_MAX_DESTINATIONS = integer("NETRA_METRICS_MAX_DESTINATIONS", 100, 0, 10_000,
            "distinct values of the `destination` label (an HTTP request's authority, else the original destination's"
                    + " address): the first ones seen get their own, later ones are counted as `other`"
                    + " (`netra_metrics_destinations_overflow_total`); `0` labels everything `other`");
    static final Setting<Boolean> METRICS_OTEL_NAMES = flag("NETRA_METRICS_OTEL_NAMES", false,
            "also export OpenTelemetry's HTTP duration histograms, `http_server_request_duration_seconds` (inbound) and"
                    + " `http_client_request_duration_seconds` (outbound), with their semantic-convention labels");
    static final Setting<Boolean> METRICS_POD_LABELS = flag("NETRA_METRICS_POD_LABELS", false,
            "add `pod` and `namespace` labels (POD_NAME and POD_NAMESPACE, from the downward API) to every series on"
                    + " /metrics, for a scraper that does not add them itself (the PodMonitor in `monitoring/` does)");
    static final Setting<String> STATSD_PREFIX = new Setting<>("NETRA_STATSD_PREFIX", "\"\"", "prefix of every statsd name",
            env -> env.string("NETRA_STATSD_PREFIX", ""), v -> v);

    /** Every row, in the order of the start-up line and the docs. */
    public static final List<Setting<?>> ALL = List.of(LOGGER_LEVEL, PORT, MAX_CONNECTIONS, CONNECT_TIMEOUT, SHUTDOWN_GRACE,
            BUFFER_BYTES, SPLICE_ENABLED, PLATFORM_THREAD_CONNECTIONS, IDLE_TIMEOUT, HALF_CLOSED_TIMEOUT,
            REQUEST_HEAD_TIMEOUT, RESPONSE_HEAD_TIMEOUT,
            HTTP_PORTS, HTTP2_PORTS, HTTP2, OPAQUE_PORTS, DETECT_TIMEOUT, MAX_HEADER_BYTES, REQUEST_ID_HEADER, X_SOURCE_HEADER, X_SOURCE_VALUE,
            TRACING_CONTEXT_EXPIRATION, TRACING_CONTEXT_CLEANUP, TRACING_IGNORED_PATHS, HEADER_TAG_MAP, COOKIE_TAG_MAP,
            ROUTING_ENABLED, ROUTING_HEADER, ROUTING_COOKIE_ENABLED, ROUTING_COOKIE_NAME, ROUTING_CONTEXT_EXPIRATION,
            ROUTING_CONTEXT_CLEANUP, ROUTING_REWRITE_HOST, ROUTING_ALLOWED_TARGETS, ROUTING_TRUSTED_SOURCES,
            ROUTING_MAX_ENTRIES, UPSTREAM_IDLE_TIMEOUT,
            PROMETHEUS_PORT, PPROF_PORT, PPROF_BIND, STATSD_ENABLED, STATSD_ADDRESS, STATSD_PREFIX, ACCESS_LOG,
            LOG_FORMAT, METRICS_MAX_DESTINATIONS, METRICS_OTEL_NAMES, METRICS_POD_LABELS);

    /** One of {@code allowed}, case-insensitive, else an error naming the variable and the choices. */
    private static String choice(Env env, String name, String def, String... allowed) {
        String v = env.string(name, def).trim().toLowerCase(Locale.ROOT);
        if (!List.of(allowed).contains(v)) {
            throw ConfigException.invalid(name, v, String.join(", ", allowed));
        }
        return v;
    }

    private static Setting<Integer> port(String name, int def, boolean zeroAllowed, String meaning) {
        return new Setting<>(name, String.valueOf(def), meaning, env -> env.port(name, def, zeroAllowed), String::valueOf);
    }

    private static Setting<Integer> integer(String name, int def, int min, int max, String meaning) {
        return new Setting<>(name, String.valueOf(def), meaning, env -> env.integer(name, def, min, max), String::valueOf);
    }

    private static Setting<Duration> millis(String name, int def, String meaning) {
        return new Setting<>(name, String.valueOf(def), meaning, env -> env.millis(name, def), d -> String.valueOf(d.toMillis()));
    }

    private static Setting<Duration> millis(String name, int def, int min, int max, String meaning) {
        return new Setting<>(name, String.valueOf(def), meaning, env -> Duration.ofMillis(env.integer(name, def, min, max)),
                d -> String.valueOf(d.toMillis()));
    }

    private static Setting<Duration> seconds(String name, int def, String meaning) {
        return new Setting<>(name, String.valueOf(def), meaning, env -> env.seconds(name, def),
                d -> String.valueOf(d.toSeconds()));
    }

    private static Setting<Boolean> flag(String name, boolean def, String meaning) {
        return new Setting<>(name, String.valueOf(def), meaning, env -> env.flag(name, def), String::valueOf);
    }

    private static Setting<String> headerName(String name, String def, String meaning) {
        return new Setting<>(name, def, meaning, env -> env.headerName(name, def), v -> v);
    }

    private static Setting<Map<String, String>> pairs(String name, String meaning) {
        return new Setting<>(name, "none", meaning, env -> env.pairs(name, ':'), m -> m.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(",")));
    }

    private static String ports(Set<Integer> ports) {
        return new TreeSet<>(ports).stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static String joined(List<?> items) {
        return items.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** The values read from one environment, by row. */
    static final class Values {
        private final Map<Setting<?>, Object> values = new java.util.IdentityHashMap<>();

        Values(Env env) {
            for (Setting<?> s : ALL) {
                values.put(s, s.read(env));
            }
        }

        @SuppressWarnings("unchecked")
        <T> T get(Setting<T> s) {
            return (T) values.get(s);
        }

        /** One {@code NAME=value} per row. */
        List<String> describe() {
            return ALL.stream().map(this::describe).toList();
        }

        private <T> String describe(Setting<T> s) {
            return s.describe(get(s));
        }
    }
}
