package dev.netra.sidecar.http;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Byte arrays for message heads, shared by every connection of the sidecar. A direction borrows
 * one when a head starts and gives it back at the end of a read that leaves it between messages;
 * an exchange's copies of its heads go back when it ends. An idle keep-alive connection so holds
 * no head array, where it held four (two readers, two copies: ~6 KB) before.
 *
 * <p>Arrays come in power-of-two sizes from 1 KB to 64 KB; each size keeps at most 1 MB of spares
 * (the rest is left to the GC), and {@link #drain} lets go of all of them when the sidecar idles.
 */
public final class HeadArrays {
    static final int MIN_BYTES = 1024;
    private static final int SIZES = 7;
    private static final int SPARE_BYTES_PER_SIZE = 1 << 20;

    private final Spares[] spares = new Spares[SIZES];
    private final AtomicInteger borrowed = new AtomicInteger();

    public HeadArrays() {
        for (int i = 0; i < SIZES; i++) {
            spares[i] = new Spares(SPARE_BYTES_PER_SIZE / (MIN_BYTES << i));
        }
    }

    /** An array of at least {@code min} bytes; what it holds is whatever its last user left. */
    public byte[] acquire(int min) {
        borrowed.incrementAndGet();
        int i = sizeIndex(min);
        if (i >= SIZES) {
            return new byte[min];
        }
        byte[] b = spares[i].pop();
        return b != null ? b : new byte[MIN_BYTES << i];
    }

    /** Takes back an array from {@link #acquire}; null is ignored. */
    public void release(byte[] b) {
        if (b == null) {
            return;
        }
        borrowed.decrementAndGet();
        int i = sizeIndex(b.length);
        if (i < SIZES && MIN_BYTES << i == b.length) {
            spares[i].push(b);
        }
    }

    /** Lets go of every spare (an idle sidecar giving memory back). */
    public void drain() {
        for (Spares s : spares) {
            s.clear();
        }
    }

    /** Arrays out right now: acquired and not given back. */
    int borrowed() {
        return borrowed.get();
    }

    /** Bytes held as spares right now. */
    long spareBytes() {
        long total = 0;
        for (int i = 0; i < SIZES; i++) {
            total += (long) spares[i].size() * (MIN_BYTES << i);
        }
        return total;
    }

    /** The size class holding {@code bytes}: 0 for up to 1 KB, 1 for up to 2 KB, ... */
    static int sizeIndex(int bytes) {
        if (bytes <= MIN_BYTES) {
            return 0;
        }
        return 32 - Integer.numberOfLeadingZeros(bytes - 1) - Integer.numberOfTrailingZeros(MIN_BYTES);
    }

    /** A bounded LIFO stack: the array given back last, still in cache, is the next one out. */
    private static final class Spares {
        private final byte[][] items;
        private int count;

        Spares(int capacity) {
            items = new byte[capacity][];
        }

        synchronized byte[] pop() {
            if (count == 0) {
                return null;
            }
            byte[] b = items[--count];
            items[count] = null;
            return b;
        }

        synchronized void push(byte[] b) {
            if (count < items.length) {
                items[count++] = b;
            }
        }

        synchronized int size() {
            return count;
        }

        synchronized void clear() {
            Arrays.fill(items, 0, count, null);
            count = 0;
        }
    }
}
