package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.core.metrics.StateSet;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelledRegistryTest {

    @Test
    void everySeriesOfEveryKindCarriesThePodLabelsAndKeepsItsValue() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        Destinations destinations = new Destinations(10, registry);
        HttpMetrics http = new HttpMetrics(registry, destinations, true);
        ProxyMetrics proxy = new ProxyMetrics(registry, destinations);
        RuntimeMetrics.register(registry); // counters, gauges, summaries (GC), info (runtime)
        Summary.builder().name("test_summary").quantile(0.5).register(registry).observe(3);
        Info.builder().name("test_info").labelNames("v").register(registry).addLabelValues("1");
        StateSet.builder().name("test_state").states("a", "b").register(registry).setTrue("a");
        Exchanges.play(Direction.INBOUND, 8080, http, Exchanges.get("/a"), Exchanges.response(200, "ok"));
        proxy.of(Direction.INBOUND).bytesToClient().inc(10);

        String plain = Scrapes.text(registry);
        String labelled = Scrapes.text(new LabelledRegistry(registry, Labels.of("pod", "shop-7d9f", "namespace", "prod")));
        List<String> samples = labelled.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        assertTrue(samples.size() > 100, samples.size() + " samples");
        for (String s : samples) {
            assertTrue(s.contains("namespace=\"prod\"") && s.contains("pod=\"shop-7d9f\""), s);
        }
        assertEquals(plain.lines().filter(l -> !l.startsWith("#")).count(), samples.size(), "no series lost or added");
        assertTrue(labelled.contains("netra_http_requests_total{code=\"200\",code_class=\"2xx\",destination=\"svc\","
                + "direction=\"inbound\",method=\"GET\",namespace=\"prod\",pod=\"shop-7d9f\",port=\"8080\",protocol=\"http1\"} 1.0"), labelled);
        assertTrue(labelled.contains("test_summary_sum{namespace=\"prod\",pod=\"shop-7d9f\"} 3.0"), labelled);
        assertTrue(labelled.contains("test_state{namespace=\"prod\",pod=\"shop-7d9f\",test_state=\"a\"} 1"), labelled);
    }
}
