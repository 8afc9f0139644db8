package dev.netra.sidecar.config;

/**
 * How the Prometheus metrics are labelled (rows in {@link Settings}).
 *
 * @param maxDestinations NETRA_METRICS_MAX_DESTINATIONS: distinct destination label values before "other"
 * @param otelNames       NETRA_METRICS_OTEL_NAMES: OpenTelemetry's HTTP duration histograms too
 */
public record MetricsConfig(int maxDestinations, boolean otelNames) {
    /** The defaults: 100 destinations, netra's own names. */
    public static final MetricsConfig DEFAULT = new MetricsConfig(100, false);

    static MetricsConfig from(Settings.Values v) {
        return new MetricsConfig(v.get(Settings.METRICS_MAX_DESTINATIONS), v.get(Settings.METRICS_OTEL_NAMES));
    }
}
