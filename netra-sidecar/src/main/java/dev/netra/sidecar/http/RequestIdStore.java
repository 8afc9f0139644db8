package dev.netra.sidecar.http;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.ToIntFunction;

/**
 * Something remembered per request id for a while (a span context, a routing value), so that
 * the app's outbound calls with the same request id can pick it up. Bounded in entries, in bytes
 * (oldest out first) and in time (entries expire; {@link #sweep} drops them). A request id longer
 * than {@value #MAX_ID_CHARS} characters, or a value heavier than {@value #MAX_VALUE_BYTES} bytes,
 * is not stored at all, and counted: a peer sending 60 KB ids must not fill the heap.
 */
public final class RequestIdStore<V> {
    /** Longer request ids are not stored (a UUID has 36 characters). */
    public static final int MAX_ID_CHARS = 128;
    /** Heavier values are not stored. */
    public static final int MAX_VALUE_BYTES = 2048;
    /** What one store may hold: both (tracing and routing) fit a sidecar's smallest heap. */
    public static final long MAX_BYTES = 8L << 20;
    /** A map entry, its node, the stored record and the key's String and array headers, roughly. */
    static final int ENTRY_OVERHEAD_BYTES = 128;

    private record Stored<V>(V value, long expiresAt, int bytes) {
    }

    private final int maxEntries;
    private final long maxBytes;
    private final long ttlNanos;
    private final ToIntFunction<V> weigher;
    private final LinkedHashMap<String, Stored<V>> entries = new LinkedHashMap<>(16, 0.75f, false);
    private long bytes;
    private long skipped;
    private long evicted;

    /**
     * @param weigher bytes a value holds on the heap (the store adds the id's and its own)
     */
    public RequestIdStore(int maxEntries, long maxBytes, Duration ttl, ToIntFunction<V> weigher) {
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.ttlNanos = ttl.toNanos();
        this.weigher = weigher;
    }

    /** Remembers {@code value} for {@code requestId}, unless either is too large (then counted in {@link #skipped}). */
    public synchronized void put(String requestId, V value) {
        int valueBytes = weigher.applyAsInt(value);
        if (requestId.length() > MAX_ID_CHARS || valueBytes > MAX_VALUE_BYTES) {
            skipped++;
            return;
        }
        int weight = ENTRY_OVERHEAD_BYTES + 2 * requestId.length() + valueBytes;
        Stored<V> old = entries.remove(requestId); // re-insert at the young end
        if (old != null) {
            bytes -= old.bytes();
        }
        entries.put(requestId, new Stored<>(value, System.nanoTime() + ttlNanos, weight));
        bytes += weight;
        Iterator<Stored<V>> eldest = entries.values().iterator();
        while (entries.size() > maxEntries || bytes > maxBytes) {
            bytes -= eldest.next().bytes();
            eldest.remove();
            evicted++;
        }
    }

    /** The stored value, or null when none or expired. */
    public synchronized V get(String requestId) {
        if (requestId.length() > MAX_ID_CHARS) {
            return null;
        }
        Stored<V> e = entries.get(requestId);
        if (e == null) {
            return null;
        }
        if (e.expiresAt() - System.nanoTime() < 0) {
            entries.remove(requestId);
            bytes -= e.bytes();
            return null;
        }
        return e.value();
    }

    /** Drops expired entries (oldest first, so it stops at the first live one). */
    public synchronized void sweep() {
        long now = System.nanoTime();
        Iterator<Stored<V>> it = entries.values().iterator();
        while (it.hasNext()) {
            Stored<V> e = it.next();
            if (e.expiresAt() - now < 0) {
                it.remove();
                bytes -= e.bytes();
            } else {
                return;
            }
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Bytes the stored entries hold, as weighed: at most the store's byte bound. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Ids or values not stored because they were too large. */
    public synchronized long skipped() {
        return skipped;
    }

    /** Live entries pushed out to stay within the entry or byte bound. */
    public synchronized long evicted() {
        return evicted;
    }
}
