package dev.netra.sidecar.metrics;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmNativeMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import jdk.management.VirtualThreadSchedulerMXBean;

import java.lang.management.ManagementFactory;

/** JVM and process metrics (the library's), virtual-thread scheduler gauges, and the span counters' names. */
public final class RuntimeMetrics {
    private RuntimeMetrics() {
    }

    public static void register(PrometheusRegistry registry) {
        // The library's JvmMetrics, one group at a time: its native-memory group asks the platform
        // MBean server for the NMT summary, and building that server registers every platform
        // MBean (JMX, the diagnostic commands, JFR's among them: ~150 classes kept in the AOT cache
        // and loaded by every sidecar) only to learn that NMT is off, as it is unless asked for.
        JvmThreadsMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmCompilationMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmMemoryPoolAllocationMetrics.builder().register(registry);
        JvmMemoryMetrics.builder().register(registry);
        if (nativeMemoryTracking()) {
            JvmNativeMemoryMetrics.builder().register(registry);
        }
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
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

    /** Whether the JVM runs with -XX:NativeMemoryTracking (summary or detail). */
    static boolean nativeMemoryTracking() {
        String nmt = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("NativeMemoryTracking").getValue();
        return !"off".equals(nmt);
    }

    /**
     * Span counters, registered now so dashboards can be built before tracing exports anything.
     * Dropped spans carry why: the export queue was full, or the request came before tracing was
     * up and waited for it longer than the start-up deadline.
     */
    public record SpanCounters(Counter exported, CounterDataPoint droppedQueueFull, CounterDataPoint droppedNotReady,
                               Counter failed) {
        public static SpanCounters register(PrometheusRegistry registry) {
            Counter dropped = Counter.builder().name("netra_spans_dropped_total")
                    .help("Spans dropped: the export queue was full, or tracing was not up in time at start-up")
                    .labelNames("reason").register(registry);
            return new SpanCounters(
                    Counter.builder().name("netra_spans_exported_total").help("Spans handed to the exporter successfully").register(registry),
                    dropped.labelValues("queue_full"), dropped.labelValues("not_ready"),
                    Counter.builder().name("netra_spans_failed_total").help("Spans whose export failed").register(registry));
        }
    }
}
