package dev.netra.sidecar.metrics;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A label combination, packed into a non-negative long, to its data points: at most
 * {@code capacity} entries, never removed. Reads take no lock and allocate nothing; adding takes a
 * lock. Open addressing over a fixed table twice the capacity: the value is published before its
 * key, so a reader that finds the key finds the value.
 */
final class SeriesTable<T> {
    private static final long EMPTY = -1;
    private final AtomicLongArray keys;
    private final AtomicReferenceArray<T> values;
    private final int mask;
    private final int capacity;
    private int size;

    SeriesTable(int capacity) {
        this.capacity = capacity;
        int slots = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1;
        keys = new AtomicLongArray(slots);
        values = new AtomicReferenceArray<>(slots);
        mask = slots - 1;
        for (int i = 0; i < slots; i++) {
            keys.set(i, EMPTY);
        }
    }

    /** The value for {@code key}, or null. */
    T get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            long k = keys.get(i);
            if (k == key) {
                return values.get(i);
            }
            if (k == EMPTY) {
                return null;
            }
        }
    }

    /** The value for {@code key}, made by {@code make} if absent; null when the table is full. */
    synchronized T computeIfAbsent(long key, Supplier<T> make) {
        int i = slot(key);
        for (; ; i = (i + 1) & mask) {
            long k = keys.get(i);
            if (k == key) {
                return values.get(i);
            }
            if (k == EMPTY) {
                break;
            }
        }
        if (size >= capacity) {
            return null;
        }
        T v = make.get();
        values.set(i, v);
        keys.set(i, key);
        size++;
        return v;
    }

    int size() {
        return size;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
