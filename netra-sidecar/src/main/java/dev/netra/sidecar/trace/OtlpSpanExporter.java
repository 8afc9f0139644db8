package dev.netra.sidecar.trace;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * OTLP/HTTP protobuf export of netra's spans: {@link OtlpEncoder} into one reused array, and
 * {@link OtlpHttpSender} on the calling thread. Each export finishes (or fails) before it
 * returns, within the OTLP timeout per attempt. As OpenTelemetry's exporters do, a 429, 502, 503
 * or 504 is tried again ({@value #ATTEMPTS} attempts, 100 ms then 400 ms apart); anything else
 * that is not 2xx fails the batch, which the export queue counts.
 */
final class OtlpSpanExporter implements SpanExporter {
    static final int ATTEMPTS = 3;
    private final OtlpEncoder encoder = new OtlpEncoder();
    private final OtlpHttpSender sender;
    private final String endpoint;

    OtlpSpanExporter(URI endpoint, Map<String, String> headers, Duration timeout) {
        this.sender = new OtlpHttpSender(endpoint, headers, timeout);
        this.endpoint = dev.netra.sidecar.config.Secrets.url(endpoint);
    }

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
        List<SpanData> batch = spans instanceof List<SpanData> l ? l : new ArrayList<>(spans);
        encoder.encode(batch);
        try {
            for (int attempt = 1; ; attempt++) {
                int status = sender.post(encoder.bytes(), encoder.length());
                if (status >= 200 && status < 300) {
                    return CompletableResultCode.ofSuccess();
                }
                boolean retryable = status == 429 || status == 502 || status == 503 || status == 504;
                if (!retryable || attempt == ATTEMPTS) {
                    return CompletableResultCode.ofExceptionalFailure(
                            new IOException(endpoint + " answered " + status + " (attempt " + attempt + ")"));
                }
                Thread.sleep(attempt == 1 ? 100 : 400);
            }
        } catch (IOException e) {
            return CompletableResultCode.ofExceptionalFailure(new IOException(endpoint + ": " + e.getMessage(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableResultCode.ofFailure();
        } finally {
            encoder.trim();
        }
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess(); // nothing is buffered between exports
    }

    /** Closes the connection, also under an export in flight, which then fails at once: shutdown does not wait for a hung collector. */
    @Override
    public CompletableResultCode shutdown() {
        sender.close();
        return CompletableResultCode.ofSuccess();
    }
}
