package dev.netra.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
