package dev.netra.sidecar.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** netra's OTLP encoding read back with opentelemetry-proto's classes, against OpenTelemetry's own marshaler. */
class OtlpEncoderTest {
    private static final ExchangeSpan.Origin ORIGIN = new ExchangeSpan.Origin(
            Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "shop",
                    AttributeKey.stringKey("k8s.pod.name"), "shop-7d9f")),
            InstrumentationScopeInfo.builder("netra").setVersion("1.2.3").build());

    @Test
    void spansOfEveryShapeEncodeAsOpenTelemetryEncodesThem() throws IOException {
        List<SpanData> spans = new ArrayList<>();
        spans.add(span("GET /checkout", SpanKind.SERVER, remoteParent(), StatusData.unset(), 0));
        spans.add(span("caf\u00e9 \uD83D\uDE80 \uD800 lone", SpanKind.CLIENT, SpanContext.getInvalid(),
                StatusData.create(StatusCode.ERROR, "upstream reset \u2014 twice"), 1));
        spans.add(span("ok", SpanKind.CLIENT, localParent(), StatusData.ok(), 2));
        // another resource and scope: their own ResourceSpans and ScopeSpans
        spans.add(TestSpanData.builder().setName("other").setKind(SpanKind.INTERNAL)
                .setSpanContext(SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                        TraceFlags.getDefault(), TraceState.getDefault()))
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "other")))
                .setInstrumentationScopeInfo(InstrumentationScopeInfo.create("else"))
                .setAttributes(Attributes.of(AttributeKey.booleanArrayKey("flags"), List.of(true, false),
                        AttributeKey.doubleArrayKey("ratios"), List.of(0.5, -1.25),
                        AttributeKey.longArrayKey("sizes"), List.of(-1L, 1L << 40)))
                .setTotalAttributeCount(5)
                .setStartEpochNanos(1).setEndEpochNanos(2).setStatus(StatusData.unset()).setHasEnded(true).build());
        assertSameAsOpenTelemetry(spans);
    }

    @Test
    void aFullBatchOfLargeSpansNeedsLongLengthsAndStillReadsBack() throws IOException {
        List<SpanData> spans = new ArrayList<>();
        for (int i = 0; i < 512; i++) {
            spans.add(span("/" + "p".repeat(300 + i), SpanKind.SERVER, remoteParent(), StatusData.unset(), i));
        }
        ExportTraceServiceRequest ours = assertSameAsOpenTelemetry(spans);
        assertEquals(512, ours.getResourceSpans(0).getScopeSpans(0).getSpansCount());
        assertEquals("/" + "p".repeat(811), ours.getResourceSpans(0).getScopeSpans(0).getSpans(511).getName());

        OtlpEncoder encoder = new OtlpEncoder();
        encoder.encode(spans);
        assertTrue(encoder.bytes().length > encoder.length() && encoder.length() > 200_000, "" + encoder.length());
        encoder.encode(spans.subList(0, 1));
        assertEquals(ExportTraceServiceRequest.parseFrom(Arrays.copyOf(encoder.bytes(), encoder.length())),
                ExportTraceServiceRequest.parseFrom(openTelemetry(spans.subList(0, 1))), "the array is reused from its start");
    }

    @Test
    void attributeKeysPastTheCacheBoundsEncodeAsTheFirstOnes() throws IOException {
        // one encoder across batches: keys are remembered by identity up to a bound in count and
        // size; more distinct keys, a long one and a non-ASCII one are encoded each time
        OtlpEncoder encoder = new OtlpEncoder();
        for (int batch = 0; batch < 3; batch++) {
            List<SpanData> spans = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ExchangeSpan span = new ExchangeSpan("s" + i, SpanKind.CLIENT, localParent(), remoteParent(), 1, ORIGIN, 8);
                span.attributes().put(AttributeKey.stringKey("shared.key"), "v" + i);
                span.attributes().put(AttributeKey.stringKey("key." + (batch * 100 + i)), "x");
                span.attributes().put(AttributeKey.stringKey("k".repeat(200)), "long");
                span.attributes().put(AttributeKey.stringKey("cl\u00e9"), "\u00e9t\u00e9");
                span.end(StatusData.unset(), 2);
                spans.add(span);
            }
            encoder.encode(spans);
            assertEquals(inOrder(ExportTraceServiceRequest.parseFrom(openTelemetry(spans))),
                    inOrder(ExportTraceServiceRequest.parseFrom(Arrays.copyOf(encoder.bytes(), encoder.length()))), "batch " + batch);
        }
    }

    private static ExportTraceServiceRequest assertSameAsOpenTelemetry(List<SpanData> spans) throws IOException {
        OtlpEncoder encoder = new OtlpEncoder();
        encoder.encode(spans);
        ExportTraceServiceRequest ours = ExportTraceServiceRequest.parseFrom(Arrays.copyOf(encoder.bytes(), encoder.length()));
        ExportTraceServiceRequest theirs = ExportTraceServiceRequest.parseFrom(openTelemetry(spans));
        assertEquals(inOrder(theirs), inOrder(ours));
        assertTrue(ours.getUnknownFields().asMap().isEmpty());
        return ours;
    }

    /** OpenTelemetry groups by resource in a hash map: the order of ResourceSpans carries no meaning. */
    private static ExportTraceServiceRequest inOrder(ExportTraceServiceRequest r) {
        List<io.opentelemetry.proto.trace.v1.ResourceSpans> sorted = new ArrayList<>(r.getResourceSpansList());
        sorted.sort(java.util.Comparator.comparing(Object::toString));
        return r.toBuilder().clearResourceSpans().addAllResourceSpans(sorted).build();
    }

    private static byte[] openTelemetry(List<SpanData> spans) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TraceRequestMarshaler.create(spans).writeBinaryTo(out);
        return out.toByteArray();
    }

    private static SpanContext remoteParent() {
        return SpanContext.createFromRemoteParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
                TraceFlags.getSampled(), TraceState.builder().put("vendor", "x1").put("other", "y").build());
    }

    private static SpanContext localParent() {
        return SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736", "53995c3f42cd8ad8", TraceFlags.getSampled(),
                TraceState.getDefault());
    }

    private static ExchangeSpan span(String name, SpanKind kind, SpanContext parent, StatusData status, int i) {
        SpanContext context = SpanContext.create(parent.isValid() ? parent.getTraceId() : "5b8efff798038103d269b633813fc60c",
                String.format("%016x", 0x1000L + i), TraceFlags.getSampled(), parent.getTraceState());
        ExchangeSpan span = new ExchangeSpan(name, kind, context, parent, 1_764_000_000_000_000_000L + i, ORIGIN, 6);
        span.attributes().put(AttributeKey.stringKey("http.request.method"), "GET");
        span.attributes().put(AttributeKey.longKey("http.response.status_code"), 200L + i);
        span.attributes().put(AttributeKey.booleanKey("netra.routed"), i % 2 == 0);
        span.attributes().put(AttributeKey.doubleKey("netra.ratio"), 0.25 * i);
        span.attributes().put(AttributeKey.stringArrayKey("netra.tags"), List.of("a", "", "\u00fc"));
        span.attributes().put(AttributeKey.stringKey("empty"), "");
        span.attributes().put(AttributeKey.stringKey("dropped"), "past the capacity of 6");
        span.end(status, 1_764_000_000_500_000_000L + i);
        return span;
    }
}
