package dev.netra.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchTest {
    @Test
    void warmUpDefaultsByModeAndFollowsTheVariable() {
        assertEquals(Duration.ofSeconds(5), Bench.warmup(null, false));
        assertEquals(Duration.ofMillis(500), Bench.warmup(" ", true));
        assertEquals(Duration.ofSeconds(30), Bench.warmup("30", false));
        assertEquals(Duration.ZERO, Bench.warmup("0", true));
    }

    @Test
    void aBadWarmUpNamesTheVariableAndValue() {
        for (String bad : new String[] {"-1", "601", "5s", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bench.warmup(bad, false));
            assertTrue(e.getMessage().contains("NETRA_BENCH_WARMUP_SECONDS=" + bad), e.getMessage());
        }
    }

    @Test
    void aCommandsMemoryIsReadFromWhatItFinallyRunsAndItsCpuFromItsWholeTree() throws Exception {
        // a wrapper shell over two children, one of which burns CPU for a bounded count first: as a
        // peer sidecar started through sh -c, or nginx's master over its workers
        Process wrapper = new ProcessBuilder("sh", "-c",
                "sleep 30 & (i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec sleep 30) & wait").start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            List<ProcessHandle> leaves;
            do {
                Thread.sleep(50);
                leaves = Bench.leaves(wrapper.toHandle());
            } while (System.nanoTime() < deadline && !(leaves.size() == 2
                    && leaves.stream().allMatch(h -> h.info().command().orElse("").endsWith("sleep"))));
            Set<String> commands = leaves.stream().map(h -> h.info().command().orElse("?")).collect(Collectors.toSet());
            assertEquals(2, leaves.size(), "leaves: " + commands);
            assertEquals(Set.of("sleep"), leaves.stream().map(h -> h.info().command().orElse("?").replaceAll(".*/", ""))
                    .collect(Collectors.toSet()));
            assertFalse(leaves.contains(wrapper.toHandle()), "the waiting shell is not a leaf");
            assertEquals(3, Bench.tree(wrapper.toHandle()).size(), "the shell and its two children");
            // the counting loop ran in the subshell that became the second sleep: a child's CPU counts
            long tree = Bench.cpuTicks(List.of(wrapper.toHandle()));
            assertTrue(tree >= 5, "the loop's CPU (>= 50 ms) is counted: " + tree + " ticks");
        } finally {
            wrapper.descendants().forEach(ProcessHandle::destroy);
            wrapper.destroy();
            wrapper.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
