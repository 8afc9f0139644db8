package dev.netra.sidecar.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot.StateSetDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot.UnknownDataPointSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What {@code /metrics} serves with NETRA_METRICS_POD_LABELS: the sidecar's registry, every series
 * with the same constant labels ({@code pod}, {@code namespace}) added as it is scraped. Only the
 * scrape pays for it (every 15-60 s); the data points that traffic increments are unchanged.
 */
public final class LabelledRegistry extends PrometheusRegistry {
    private final PrometheusRegistry registry;
    private final Labels labels;

    public LabelledRegistry(PrometheusRegistry registry, Labels labels) {
        this.registry = registry;
        this.labels = labels;
    }

    @Override
    public MetricSnapshots scrape() {
        return labelled(registry.scrape());
    }

    @Override
    public MetricSnapshots scrape(PrometheusScrapeRequest request) {
        return labelled(registry.scrape(request));
    }

    @Override
    public MetricSnapshots scrape(Predicate<String> includedNames) {
        return labelled(registry.scrape(includedNames));
    }

    @Override
    public MetricSnapshots scrape(Predicate<String> includedNames, PrometheusScrapeRequest request) {
        return labelled(registry.scrape(includedNames, request));
    }

    private MetricSnapshots labelled(MetricSnapshots snapshots) {
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        for (MetricSnapshot s : snapshots) {
            out.metricSnapshot(labelled(s));
        }
        return out.build();
    }

    private MetricSnapshot labelled(MetricSnapshot s) {
        return switch (s) {
            case CounterSnapshot c -> new CounterSnapshot(c.getMetadata(), map(c.getDataPoints(), p ->
                    new CounterDataPointSnapshot(p.getValue(), with(p), p.getExemplar(), p.getCreatedTimestampMillis(),
                            p.getScrapeTimestampMillis())));
            case GaugeSnapshot g -> new GaugeSnapshot(g.getMetadata(), map(g.getDataPoints(), p ->
                    new GaugeDataPointSnapshot(p.getValue(), with(p), p.getExemplar(), p.getScrapeTimestampMillis())));
            case HistogramSnapshot h -> new HistogramSnapshot(h.isGaugeHistogram(), h.getMetadata(), map(h.getDataPoints(), p ->
                    new HistogramDataPointSnapshot(p.getClassicBuckets(), p.getNativeSchema(), p.getNativeZeroCount(),
                            p.getNativeZeroThreshold(), p.getNativeBucketsForPositiveValues(),
                            p.getNativeBucketsForNegativeValues(), p.hasSum() ? p.getSum() : Double.NaN, with(p),
                            p.getExemplars(), p.getCreatedTimestampMillis(), p.getScrapeTimestampMillis())));
            case SummarySnapshot m -> new SummarySnapshot(m.getMetadata(), map(m.getDataPoints(), p ->
                    new SummaryDataPointSnapshot(p.hasCount() ? p.getCount() : -1, p.hasSum() ? p.getSum() : Double.NaN,
                            p.getQuantiles(), with(p), p.getExemplars(), p.getCreatedTimestampMillis(),
                            p.getScrapeTimestampMillis())));
            case InfoSnapshot i -> new InfoSnapshot(i.getMetadata(), map(i.getDataPoints(), p ->
                    new InfoDataPointSnapshot(with(p), p.getScrapeTimestampMillis())));
            case StateSetSnapshot st -> new StateSetSnapshot(st.getMetadata(), map(st.getDataPoints(), p -> {
                String[] names = new String[p.size()];
                boolean[] values = new boolean[p.size()];
                for (int k = 0; k < p.size(); k++) {
                    names[k] = p.getName(k);
                    values[k] = p.isTrue(k);
                }
                return new StateSetDataPointSnapshot(names, values, with(p), p.getScrapeTimestampMillis());
            }));
            case UnknownSnapshot u -> new UnknownSnapshot(u.getMetadata(), map(u.getDataPoints(), p ->
                    new UnknownDataPointSnapshot(p.getValue(), with(p), p.getExemplar(), p.getScrapeTimestampMillis())));
            default -> s; // a kind this library version added later: served as it is
        };
    }

    private Labels with(DataPointSnapshot p) {
        return p.getLabels().merge(labels);
    }

    private static <A, B> List<B> map(List<A> in, java.util.function.Function<A, B> f) {
        List<B> out = new ArrayList<>(in.size());
        for (A a : in) {
            out.add(f.apply(a));
        }
        return out;
    }
}
