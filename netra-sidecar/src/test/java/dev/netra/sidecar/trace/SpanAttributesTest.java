package dev.netra.sidecar.trace;

import io.opentelemetry.api.common.AttributeKey;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SpanAttributesTest {
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("http.path");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.status_code");
    private static final AttributeKey<String> TAG = AttributeKey.stringKey("http.session");

    @Test
    void aKeySetTwiceKeepsTheLastValueOnce() {
        SpanAttributes a = new SpanAttributes(3);
        a.put(PATH, "/a");
        a.put(STATUS, 200L);
        a.put(AttributeKey.stringKey("http.path"), "/b");
        assertEquals(2, a.size());
        assertEquals("/b", a.get(PATH));
        assertEquals(200L, a.get(STATUS));
        assertEquals(Map.of(PATH, "/b", STATUS, 200L), a.asMap());
        assertEquals(a.asMap(), a.toBuilder().build().asMap());
    }

    @Test
    void aNameOfTwoTypesIsTwoKeys() {
        SpanAttributes a = new SpanAttributes(3);
        a.put(AttributeKey.stringKey("code"), "200");
        a.put(AttributeKey.longKey("code"), 200L);
        assertEquals(2, a.size());
        assertEquals("200", a.get(AttributeKey.stringKey("code")));
        assertEquals(200L, a.get(AttributeKey.longKey("code")));
    }

    @Test
    void attributesPastTheCapacityAreDropped() {
        SpanAttributes a = new SpanAttributes(1);
        a.put(PATH, "/a");
        a.put(TAG, "s-1");
        assertEquals(1, a.size());
        assertEquals(2, a.total(), "the dropped one is counted, for OTLP's dropped_attributes_count");
        assertNull(a.get(TAG));
        StringBuilder seen = new StringBuilder();
        a.forEach((k, v) -> seen.append(k.getKey()).append('=').append(v));
        assertEquals("http.path=/a", seen.toString());
    }
}
