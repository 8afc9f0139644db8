package dev.netra.sidecar.trace;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.tinylog.Logger;

import java.util.Collection;

/** Where spans go when no exporter is configured: one debug line each, so they are not lost silently. */
final class LogSpanExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        for (SpanData s : spans) {
            Logger.debug("span trace={} span={} parent={} {} '{}' {} us", s.getTraceId(), s.getSpanId(),
                    s.getParentSpanId(), s.getKind(), s.getName(), (s.getEndEpochNanos() - s.getStartEpochNanos()) / 1000);
        }
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
