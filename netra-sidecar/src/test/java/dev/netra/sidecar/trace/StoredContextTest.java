package dev.netra.sidecar.trace;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StoredContextTest {
    @Test
    void aContextComesBackAsItWasStored() {
        SpanContext[] contexts = {
                SpanContext.create("ffffffffffffffff8000000000000001", "fedcba9876543210", TraceFlags.getSampled(),
                        TraceState.getDefault()),
                SpanContext.create("0000000000000000000000000000abcd", "0000000000000001", TraceFlags.getDefault(),
                        TraceState.builder().put("vendor", "x=1").build()),
        };
        for (SpanContext c : contexts) {
            assertEquals(c, StoredContext.of(c).toSpanContext());
        }
    }
}
