package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Addresses;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values of the {@code destination} label, one set per sidecar for HTTP and TCP alike: an HTTP
 * request's authority (lower case), or the original destination's {@code address:port}. The first
 * {@code max} distinct values get their own index; later ones, and values that are not a plain
 * authority (longer than {@value #MAX_CHARS} characters, or other characters than a host name, an
 * IP literal and a port use), are {@code other}, counted in
 * {@code netra_metrics_destinations_overflow_total}. Bounded in bytes: at most {@code max} values of
 * {@value #MAX_CHARS} characters, and as many aliases (the same value as received in another case).
 * A value seen before costs one hash lookup, no allocation.
 */
public final class Destinations {
    static final int MAX_CHARS = 128;
    static final String OTHER = "other";

    private final int max;
    private final String[] labels;
    /** A value as received (and its lower-case form) to its index. */
    private final ConcurrentHashMap<String, Integer> index = new ConcurrentHashMap<>();
    /** An original destination to its index: at most {@code max} entries, those with a label of their own. */
    private final ConcurrentHashMap<InetSocketAddress, Integer> byAddress = new ConcurrentHashMap<>();
    private volatile int used;
    private final CounterDataPoint overflow;

    /** @param registry where the overflow counter goes */
    public Destinations(int max, PrometheusRegistry registry) {
        this.max = max;
        this.labels = new String[max + 1];
        labels[max] = OTHER;
        overflow = Counter.builder().name("netra_metrics_destinations_overflow_total")
                .help("Requests and connections labelled destination=\"other\": NETRA_METRICS_MAX_DESTINATIONS values"
                        + " were in use, or the value was not a plain authority")
                .register(registry).labelValues();
    }

    /** Index values run 0..{@link #other()}. */
    public int other() {
        return max;
    }

    public String label(int i) {
        return labels[i];
    }

    /** The index of an authority ({@code host[:port]}). */
    public int of(String authority) {
        if (authority == null) {
            return overflowed();
        }
        Integer known = index.get(authority);
        if (known != null) {
            return known;
        }
        if (used < max) {
            return add(authority);
        }
        // Full: a flood of new values takes no lock; a known value in another case is still itself.
        if (authority.length() <= MAX_CHARS && !authority.equals(authority.toLowerCase(Locale.ROOT))) {
            known = index.get(authority.toLowerCase(Locale.ROOT));
            if (known != null) {
                return known;
            }
        }
        return overflowed();
    }

    /** The index of an original destination: one lookup for an address seen before, formatted only the first time. */
    public int of(InetSocketAddress destination) {
        if (destination == null || destination.getAddress() == null) {
            return overflowed();
        }
        Integer known = byAddress.get(destination);
        if (known != null) {
            return known;
        }
        int i = of(Addresses.format(destination));
        if (i != max && byAddress.size() < max) {
            byAddress.put(destination, i);
        }
        return i;
    }

    private int overflowed() {
        overflow.inc();
        return max;
    }

    private synchronized int add(String authority) {
        Integer known = index.get(authority);
        if (known != null) {
            return known;
        }
        if (!plain(authority)) {
            return overflowed();
        }
        String lower = authority.toLowerCase(Locale.ROOT);
        known = index.get(lower);
        if (known == null) {
            if (used >= max) {
                return overflowed();
            }
            known = used++;
            labels[known] = lower;
            index.put(lower, known);
        }
        if (!lower.equals(authority) && index.size() < 2 * max) {
            index.put(authority, known); // the next request with this spelling is found at once
        }
        return known;
    }

    /** Letters, digits and {@code .-_:[]}, at most {@value #MAX_CHARS}: what host names, IP literals and ports use. */
    static boolean plain(String s) {
        if (s.isEmpty() || s.length() > MAX_CHARS) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']')) {
                return false;
            }
        }
        return true;
    }
}
