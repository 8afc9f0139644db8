package dev.netra.sidecar.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the Prometheus metrics are labelled (rows in {@link Settings}).
 *
 * @param maxDestinations NETRA_METRICS_MAX_DESTINATIONS: distinct destination label values before "other"
 * @param otelNames       NETRA_METRICS_OTEL_NAMES: OpenTelemetry's HTTP duration histograms too
 * @param constantLabels  pod and namespace when NETRA_METRICS_POD_LABELS is on (those known), else none
 */
public record MetricsConfig(int maxDestinations, boolean otelNames, Map<String, String> constantLabels) {
    /** The defaults: 100 destinations, netra's own names, no constant labels. */
    public static final MetricsConfig DEFAULT = new MetricsConfig(100, false, Map.of());

    public MetricsConfig {
        constantLabels = Map.copyOf(constantLabels);
    }

    static MetricsConfig from(Settings.Values v, Env env) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (v.get(Settings.METRICS_POD_LABELS)) {
            if (env.get("POD_NAME") != null) {
                labels.put("pod", env.get("POD_NAME"));
            }
            if (env.get("POD_NAMESPACE") != null) {
                labels.put("namespace", env.get("POD_NAMESPACE"));
            }
        }
        return new MetricsConfig(v.get(Settings.METRICS_MAX_DESTINATIONS), v.get(Settings.METRICS_OTEL_NAMES), labels);
    }
}
