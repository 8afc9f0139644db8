package dev.netra.sidecar.http;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The request-id stores' sizes and what they refused or pushed out, read when scraped. */
public final class RequestIdStoreMetrics {
    private final Map<String, RequestIdStore<?>> stores = new ConcurrentHashMap<>();

    public RequestIdStoreMetrics(PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("netra_request_id_store_bytes")
                .help("Heap bytes held by a request-id store (bounded by " + RequestIdStore.MAX_BYTES + " each)")
                .labelNames("store").callback(cb -> stores.forEach((n, s) -> cb.call(s.bytes(), n))).register(registry);
        CounterWithCallback.builder().name("netra_request_id_store_skipped_total")
                .help("Request ids not stored: the id was longer than " + RequestIdStore.MAX_ID_CHARS
                        + " characters or the value heavier than " + RequestIdStore.MAX_VALUE_BYTES + " bytes")
                .labelNames("store").callback(cb -> stores.forEach((n, s) -> cb.call(s.skipped(), n))).register(registry);
        CounterWithCallback.builder().name("netra_request_id_store_evicted_total")
                .help("Live request-id entries pushed out to stay within the store's entry or byte bound")
                .labelNames("store").callback(cb -> stores.forEach((n, s) -> cb.call(s.evicted(), n))).register(registry);
    }

    /** Reports {@code store} under {@code store="name"} from now on. */
    public void add(String name, RequestIdStore<?> store) {
        stores.put(name, store);
    }
}
