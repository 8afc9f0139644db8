package dev.netra.sidecar.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import jdk.management.VirtualThreadSchedulerMXBean;

import java.lang.management.ManagementFactory;

/** JVM and process metrics (the library's), virtual-thread scheduler gauges, and the span counters' names. */
public final class RuntimeMetrics {
    private RuntimeMetrics() {
    }

    public static void register(PrometheusRegistry registry) {
        JvmMetrics.builder().register(registry);
        VirtualThreadSchedulerMXBean vts = ManagementFactory.getPlatformMXBean(VirtualThreadSchedulerMXBean.class);
        GaugeWithCallback.builder().name("netra_jvm_virtual_threads_mounted")
                .help("Virtual threads running on a carrier thread now")
                .callback(cb -> cb.call(vts.getMountedVirtualThreadCount())).register(registry);
        GaugeWithCallback.builder().name("netra_jvm_virtual_threads_queued")
                .help("Virtual threads ready to run, waiting for a carrier")
                .callback(cb -> cb.call(vts.getQueuedVirtualThreadCount())).register(registry);
        GaugeWithCallback.builder().name("netra_jvm_virtual_thread_carriers")
                .help("Carrier threads of the virtual-thread scheduler")
                .callback(cb -> cb.call(vts.getPoolSize())).register(registry);
    }

    /** Span counters, registered now so dashboards can be built before tracing exports anything. */
    public record SpanCounters(Counter exported, Counter dropped, Counter failed) {
        public static SpanCounters register(PrometheusRegistry registry) {
            return new SpanCounters(
                    Counter.builder().name("netra_spans_exported_total").help("Spans handed to the exporter successfully").register(registry),
                    Counter.builder().name("netra_spans_dropped_total").help("Spans dropped because the export queue was full").register(registry),
                    Counter.builder().name("netra_spans_failed_total").help("Spans whose export failed").register(registry));
        }
    }
}
