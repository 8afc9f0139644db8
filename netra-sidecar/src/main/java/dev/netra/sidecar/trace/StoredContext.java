package dev.netra.sidecar.trace;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;

/**
 * An inbound span's context as the request-id store keeps it until the app's outbound calls
 * ask for it: the ids as numbers rather than hex strings, ~48 bytes instead of ~180. An inbound
 * sidecar holds one per request for NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS (25k at 5k
 * requests a second with the default 5 s), and they outlive young collections.
 */
record StoredContext(long traceIdHigh, long traceIdLow, long spanId, byte flags, TraceState state) {

    static StoredContext of(SpanContext c) {
        String trace = c.getTraceId();
        String span = c.getSpanId();
        return new StoredContext(Long.parseUnsignedLong(trace, 0, 16, 16), Long.parseUnsignedLong(trace, 16, 32, 16),
                Long.parseUnsignedLong(span, 0, 16, 16), c.getTraceFlags().asByte(),
                c.getTraceState().isEmpty() ? null : c.getTraceState());
    }

    SpanContext toSpanContext() {
        return SpanContext.create(TraceId.fromLongs(traceIdHigh, traceIdLow), SpanId.fromLong(spanId),
                TraceFlags.fromByte(flags), state == null ? TraceState.getDefault() : state);
    }

    /** Heap bytes held, roughly: the record and its trace state's members. */
    int bytes() {
        if (state == null) {
            return 48;
        }
        int[] b = {48 + 64};
        state.forEach((k, v) -> b[0] += 96 + 2 * (k.length() + v.length()));
        return b[0];
    }
}
