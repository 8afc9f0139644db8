package dev.netra.sidecar.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuntimeMetricsTest {
    @Test
    void everyJvmGroupIsThereAndNativeMemoryOnlyWithTracking() {
        PrometheusRegistry registry = new PrometheusRegistry();
        RuntimeMetrics.register(registry);
        Set<String> names = registry.scrape().stream()
                .map(s -> s.getMetadata().getPrometheusName()).collect(Collectors.toSet());
        for (String name : new String[]{"jvm_threads_current", "jvm_buffer_pool_used_bytes", "jvm_classes_currently_loaded",
                "jvm_compilation_time_seconds", "jvm_gc_collection_seconds", "jvm_memory_pool_allocated_bytes",
                "jvm_memory_used_bytes", "jvm_runtime", "process_cpu_seconds", "netra_jvm_virtual_threads_mounted"}) {
            assertTrue(names.contains(name), name + " missing from " + names);
        }
        // surefire's JVM runs without -XX:NativeMemoryTracking; scripts/test.sh checks the metrics with it on
        assertFalse(RuntimeMetrics.nativeMemoryTracking());
        assertFalse(names.stream().anyMatch(n -> n.startsWith("jvm_native_memory")), names.toString());
    }
}
