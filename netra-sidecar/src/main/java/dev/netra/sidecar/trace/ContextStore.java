package dev.netra.sidecar.trace;

import io.opentelemetry.api.trace.SpanContext;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Request id to the span context of the inbound request that carried it, so that the app's
 * outbound calls with the same request id join the trace (netramesh's linking without app
 * changes). Bounded in size (oldest out first) and in time (entries expire).
 */
final class ContextStore {
    private record Stored(SpanContext context, long expiresAt) {
    }

    private final int maxEntries;
    private final long ttlNanos;
    private final LinkedHashMap<String, Stored> entries;

    ContextStore(int maxEntries, Duration ttl) {
        this.maxEntries = maxEntries;
        this.ttlNanos = ttl.toNanos();
        this.entries = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Stored> eldest) {
                return size() > ContextStore.this.maxEntries;
            }
        };
    }

    synchronized void put(String requestId, SpanContext context) {
        entries.remove(requestId); // re-insert at the young end
        entries.put(requestId, new Stored(context, System.nanoTime() + ttlNanos));
    }

    /** The stored context, or null when none or expired. */
    synchronized SpanContext get(String requestId) {
        Stored e = entries.get(requestId);
        if (e == null) {
            return null;
        }
        if (e.expiresAt() - System.nanoTime() < 0) {
            entries.remove(requestId);
            return null;
        }
        return e.context();
    }

    /** Drops expired entries (oldest first, so it stops at the first live one). */
    synchronized void sweep() {
        long now = System.nanoTime();
        Iterator<Stored> it = entries.values().iterator();
        while (it.hasNext()) {
            if (it.next().expiresAt() - now < 0) {
                it.remove();
            } else {
                return;
            }
        }
    }

    synchronized int size() {
        return entries.size();
    }
}
