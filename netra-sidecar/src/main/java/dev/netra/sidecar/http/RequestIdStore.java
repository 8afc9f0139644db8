package dev.netra.sidecar.http;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Something remembered per request id for a while (a span context, a routing value), so that
 * the app's outbound calls with the same request id can pick it up. Bounded in size (oldest out
 * first) and in time (entries expire; {@link #sweep} drops them).
 */
public final class RequestIdStore<V> {
    private record Stored<V>(V value, long expiresAt) {
    }

    private final long ttlNanos;
    private final LinkedHashMap<String, Stored<V>> entries;

    public RequestIdStore(int maxEntries, Duration ttl) {
        this.ttlNanos = ttl.toNanos();
        this.entries = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Stored<V>> eldest) {
                return size() > maxEntries;
            }
        };
    }

    public synchronized void put(String requestId, V value) {
        entries.remove(requestId); // re-insert at the young end
        entries.put(requestId, new Stored<>(value, System.nanoTime() + ttlNanos));
    }

    /** The stored value, or null when none or expired. */
    public synchronized V get(String requestId) {
        Stored<V> e = entries.get(requestId);
        if (e == null) {
            return null;
        }
        if (e.expiresAt() - System.nanoTime() < 0) {
            entries.remove(requestId);
            return null;
        }
        return e.value();
    }

    /** Drops expired entries (oldest first, so it stops at the first live one). */
    public synchronized void sweep() {
        long now = System.nanoTime();
        Iterator<Stored<V>> it = entries.values().iterator();
        while (it.hasNext()) {
            if (it.next().expiresAt() - now < 0) {
                it.remove();
            } else {
                return;
            }
        }
    }

    public synchronized int size() {
        return entries.size();
    }
}
