package dev.netra.sidecar.config;

import java.net.InetAddress;

/**
 * The sidecar's own endpoints, logs and statsd (rows in {@link Settings}).
 *
 * @param prometheusPort NETRA_PROMETHEUS_PORT: /metrics, /ready, /live
 * @param pprofPort      NETRA_PPROF_PORT (0: off)
 * @param pprofBind      NETRA_PPROF_BIND
 * @param statsdEnabled  NETRA_STATSD_ENABLED
 * @param statsdAddress  NETRA_STATSD_ADDRESS
 * @param statsdPrefix   NETRA_STATSD_PREFIX
 * @param accessLog      NETRA_ACCESS_LOG: off, text or json
 * @param jsonLog        NETRA_LOG_FORMAT=json
 * @param metrics        how the Prometheus metrics are labelled
 */
public record AdminConfig(int prometheusPort, int pprofPort, InetAddress pprofBind, boolean statsdEnabled,
                          String statsdAddress, String statsdPrefix, String accessLog, boolean jsonLog,
                          MetricsConfig metrics) {
    static AdminConfig from(Settings.Values v, Env env) {
        return new AdminConfig(v.get(Settings.PROMETHEUS_PORT), v.get(Settings.PPROF_PORT), v.get(Settings.PPROF_BIND),
                v.get(Settings.STATSD_ENABLED), v.get(Settings.STATSD_ADDRESS), v.get(Settings.STATSD_PREFIX),
                v.get(Settings.ACCESS_LOG), v.get(Settings.LOG_FORMAT).equals("json"), MetricsConfig.from(v, env));
    }
}
