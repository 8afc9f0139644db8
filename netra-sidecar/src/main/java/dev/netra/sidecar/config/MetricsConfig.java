package dev.netra.sidecar.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the Prometheus metrics are labelled (rows in {@link Settings}).
 *
 * @param maxDestinations NETRA_METRICS_MAX_DESTINATIONS: distinct destination label values before "other"
 * @param otelNames       NETRA_METRICS_OTEL_NAMES: OpenTelemetry's HTTP duration histograms too
 * @param constantLabels  NETRA_METRICS_POD_LABELS: pod and namespace (those known) on every series, else none
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
            for (String[] pair : new String[][] {{"pod", "POD_NAME"}, {"namespace", "POD_NAMESPACE"}}) {
                String value = env.get(pair[1]);
                if (value == null || value.isBlank()) {
                    throw new ConfigException("NETRA_METRICS_POD_LABELS=true needs " + pair[1]
                            + " (from the downward API: fieldRef metadata." + (pair[0].equals("pod") ? "name" : "namespace") + ")");
                }
                labels.put(pair[0], value.trim());
            }
        }
        return new MetricsConfig(v.get(Settings.METRICS_MAX_DESTINATIONS), v.get(Settings.METRICS_OTEL_NAMES), labels);
    }
}
