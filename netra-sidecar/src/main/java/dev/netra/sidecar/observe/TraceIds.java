package dev.netra.sidecar.observe;

import dev.netra.sidecar.http.Exchange;
import io.opentelemetry.sdk.trace.data.SpanData;

/** The trace id of an exchange's span, when tracing gave it one. */
final class TraceIds {
    private TraceIds() {
    }

    static String of(Exchange e) {
        return e.attachment() instanceof SpanData span ? span.getSpanContext().getTraceId() : null;
    }
}
