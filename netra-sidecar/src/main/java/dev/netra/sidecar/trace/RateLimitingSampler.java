package dev.netra.sidecar.trace;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;

import java.util.List;

/** Jaeger's "ratelimiting" sampler: at most N new traces per second (a token bucket). */
final class RateLimitingSampler implements Sampler {
    private final double perSecond;
    private double tokens;
    private long last = System.nanoTime();

    RateLimitingSampler(double perSecond) {
        this.perSecond = perSecond;
        this.tokens = Math.max(1, perSecond);
    }

    @Override
    public synchronized SamplingResult shouldSample(Context parent, String traceId, String name, SpanKind kind,
                                                    Attributes attributes, List<LinkData> links) {
        long now = System.nanoTime();
        tokens = Math.min(Math.max(1, perSecond), tokens + (now - last) / 1e9 * perSecond);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return SamplingResult.recordAndSample();
        }
        return SamplingResult.drop();
    }

    @Override
    public String getDescription() {
        return "RateLimitingSampler{" + perSecond + "/s}";
    }
}
