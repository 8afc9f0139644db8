package dev.netra.sidecar.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A span's attributes in one array of key/value pairs, sized once for every attribute netra can
 * set: filled by the copy loop that ends the span, then only read by the export thread. The
 * SDK's span keeps a growing hash map behind a lock instead, larger per span (docs/performance-log.md).
 */
final class SpanAttributes implements Attributes {
    private final Object[] pairs;
    private int size;
    /** Attributes set, dropped ones included: OTLP reports the difference as dropped_attributes_count. */
    private int total;

    SpanAttributes(int capacity) {
        this.pairs = new Object[2 * capacity];
    }

    /** Sets {@code key}, replacing an earlier value; past the capacity an attribute is dropped. */
    <T> void put(AttributeKey<T> key, T value) {
        int hash = key.hashCode();
        for (int i = 0; i < size; i++) {
            Object k = pairs[2 * i];
            if (k == key || k.hashCode() == hash && k.equals(key)) {
                pairs[2 * i + 1] = value;
                return;
            }
        }
        total++;
        if (2 * size < pairs.length) {
            pairs[2 * size] = key;
            pairs[2 * size + 1] = value;
            size++;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(AttributeKey<T> key) {
        for (int i = 0; i < size; i++) {
            if (pairs[2 * i].equals(key)) {
                return (T) pairs[2 * i + 1];
            }
        }
        return null;
    }

    @Override
    public void forEach(BiConsumer<? super AttributeKey<?>, ? super Object> consumer) {
        for (int i = 0; i < size; i++) {
            consumer.accept((AttributeKey<?>) pairs[2 * i], pairs[2 * i + 1]);
        }
    }

    @Override
    public int size() {
        return size;
    }

    int total() {
        return total;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public Map<AttributeKey<?>, Object> asMap() {
        Map<AttributeKey<?>, Object> map = new LinkedHashMap<>();
        forEach(map::put);
        return Collections.unmodifiableMap(map);
    }

    @Override
    @SuppressWarnings("unchecked")
    public AttributesBuilder toBuilder() {
        AttributesBuilder b = Attributes.builder();
        forEach((k, v) -> b.put((AttributeKey<Object>) k, v));
        return b;
    }

    @Override
    public String toString() {
        return asMap().toString();
    }
}
