package dev.netra.sidecar.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything the sidecar is configured with, read once from the environment (netramesh's
 * variable names) and the command line, and validated here and nowhere else: the rows of
 * {@link Settings} (and the tracing variables of {@link TracingConfig}), one record per concern.
 */
public record SidecarConfig(String serviceName, LogLevel logLevel, ProxyConfig proxy, HttpConfig http,
                            TracingConfig tracing, RoutingConfig routing, AdminConfig admin, List<String> startupLine) {

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
        Settings.Values v = new Settings.Values(env);
        int port = v.get(Settings.PORT);
        int prometheusPort = v.get(Settings.PROMETHEUS_PORT);
        int pprofPort = v.get(Settings.PPROF_PORT);
        if (prometheusPort == port) {
            throw new ConfigException("NETRA_PROMETHEUS_PORT='" + prometheusPort + "' is invalid: it equals NETRA_PORT");
        }
        if (pprofPort == port || pprofPort == prometheusPort) {
            throw new ConfigException("NETRA_PPROF_PORT='" + pprofPort
                    + "' is invalid: it equals NETRA_PORT or NETRA_PROMETHEUS_PORT");
        }
        if (v.get(Settings.STATSD_ENABLED) && v.get(Settings.STATSD_ADDRESS).isEmpty()) {
            throw new ConfigException("NETRA_STATSD_ADDRESS='' is invalid: NETRA_STATSD_ENABLED=true needs a host:port");
        }
        Map<String, String> jaeger = jaeger(environment, env);
        TracingConfig tracing = TracingConfig.from(env, jaeger, v);
        List<String> line = new ArrayList<>();
        line.add("service-name=" + serviceName);
        line.addAll(v.describe());
        jaeger.forEach((k, value) -> line.add(k + "=" + (SECRETS.contains(k) ? "(set, hidden)" : Secrets.shown(k, value))));
        line.addAll(tracing.describe());
        line.replaceAll(Secrets::withoutUserinfo); // whatever variable a URL with a password was put in
        return new SidecarConfig(serviceName, v.get(Settings.LOGGER_LEVEL), ProxyConfig.from(v), HttpConfig.from(v), tracing,
                RoutingConfig.from(v), AdminConfig.from(v, env), List.copyOf(line));
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

    /** One {@code NAME=value} per setting, secrets hidden: what start-up logs. */
    public List<String> describe() {
        return startupLine;
    }
}
