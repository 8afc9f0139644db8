package dev.netra.sidecar.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestIdStoreTest {
    private static RequestIdStore<String> store(int maxEntries, long maxBytes) {
        return new RequestIdStore<>(maxEntries, maxBytes, Duration.ofMinutes(1), v -> 40 + 2 * v.length());
    }

    @Test
    void anIdLongerThanTheLimitIsNotStoredAndIsCounted() {
        RequestIdStore<String> s = store(1000, 1 << 20);
        String huge = "r".repeat(60 * 1024);
        for (int i = 0; i < 2000; i++) {
            s.put(huge + i, "v");
        }
        assertEquals(0, s.size());
        assertEquals(0, s.bytes());
        assertEquals(2000, s.skipped());
        String longest = "r".repeat(RequestIdStore.MAX_ID_CHARS);
        s.put(longest, "v");
        assertEquals("v", s.get(longest), "an id at the limit is stored");
        assertNull(s.get(longest + "x"));
    }

    @Test
    void aHeavyValueIsNotStored() {
        RequestIdStore<String> s = store(1000, 1 << 20);
        s.put("id", "x".repeat(RequestIdStore.MAX_VALUE_BYTES));
        assertNull(s.get("id"));
        assertEquals(1, s.skipped());
    }

    @Test
    void theByteBoundHoldsWhateverArrivesOldestOut() {
        long bound = 64 * 1024;
        RequestIdStore<String> s = store(1_000_000, bound);
        for (int i = 0; i < 10_000; i++) {
            s.put(("id-" + i + "-").repeat(8), "a=b".repeat(100));
            assertTrue(s.bytes() <= bound, "bytes " + s.bytes() + " after " + i);
        }
        assertTrue(s.evicted() > 9000, "evicted " + s.evicted());
        assertEquals("a=b".repeat(100), s.get(("id-9999-").repeat(8)), "the newest stays");
        assertNull(s.get(("id-0-").repeat(8)), "the oldest went first");
    }

    @Test
    void replacingAndExpiringKeepTheByteCountExact() throws Exception {
        RequestIdStore<String> s = new RequestIdStore<>(100, 1 << 20, Duration.ofMillis(1), v -> 40 + 2 * v.length());
        s.put("a", "1");
        long one = s.bytes();
        s.put("a", "1");
        assertEquals(one, s.bytes(), "a replaced entry is not counted twice");
        s.put("b", "22");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (s.size() > 0 && System.nanoTime() < deadline) {
            s.sweep();
            Thread.onSpinWait();
        }
        assertEquals(0, s.size());
        assertEquals(0, s.bytes());
    }

    @Test
    void theEntryBoundStillHolds() {
        RequestIdStore<String> s = store(3, 1 << 20);
        for (int i = 0; i < 10; i++) {
            s.put("id" + i, "v");
        }
        assertEquals(3, s.size());
        assertEquals(7, s.evicted());
    }
}
