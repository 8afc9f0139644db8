package dev.netra.sidecar.trace;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The span of one sampled exchange, as the exporters read it. netra's spans have no events, no
 * links and one writer, so the copy loop fills this directly instead of going through the SDK's
 * span (a lock, a growing attribute map and a copy into SpanData per span); it is handed to the
 * export queue when the exchange ends and not touched by the copy loop after that.
 */
final class ExchangeSpan implements SpanData {
    /** Where every span comes from: the sidecar's resource and netra's instrumentation scope. */
    record Origin(Resource resource, InstrumentationScopeInfo scope) {
    }

    private final String name;
    private final SpanKind kind;
    private final SpanContext context;
    private final SpanContext parent;
    private final long startEpochNanos;
    private final Origin origin;
    private final SpanAttributes attributes;
    private StatusData status = StatusData.unset();
    private long endEpochNanos;
    /** 1 once a thread has claimed the end: a span is filled by one thread and queued once. */
    @SuppressWarnings("unused")
    private volatile int ending;
    private static final VarHandle ENDING;

    static {
        try {
            ENDING = MethodHandles.lookup().findVarHandle(ExchangeSpan.class, "ending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    ExchangeSpan(String name, SpanKind kind, SpanContext context, SpanContext parent, long startEpochNanos,
                 Origin origin, int maxAttributes) {
        this.name = name;
        this.kind = kind;
        this.context = context;
        this.parent = parent;
        this.startEpochNanos = startEpochNanos;
        this.origin = origin;
        this.attributes = new SpanAttributes(maxAttributes);
    }

    SpanAttributes attributes() {
        return attributes;
    }

    /** True for the first caller only, who then fills the attributes, ends the span and queues it. */
    boolean claimEnd() {
        return ENDING.compareAndSet(this, 0, 1);
    }

    void end(StatusData status, long endEpochNanos) {
        this.status = status;
        this.endEpochNanos = endEpochNanos;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public SpanKind getKind() {
        return kind;
    }

    @Override
    public SpanContext getSpanContext() {
        return context;
    }

    @Override
    public SpanContext getParentSpanContext() {
        return parent;
    }

    @Override
    public StatusData getStatus() {
        return status;
    }

    @Override
    public long getStartEpochNanos() {
        return startEpochNanos;
    }

    @Override
    public SpanAttributes getAttributes() {
        return attributes;
    }

    @Override
    public List<EventData> getEvents() {
        return List.of();
    }

    @Override
    public List<LinkData> getLinks() {
        return List.of();
    }

    @Override
    public long getEndEpochNanos() {
        return endEpochNanos;
    }

    @Override
    public boolean hasEnded() {
        return endEpochNanos != 0;
    }

    @Override
    public int getTotalRecordedEvents() {
        return 0;
    }

    @Override
    public int getTotalRecordedLinks() {
        return 0;
    }

    @Override
    public int getTotalAttributeCount() {
        return attributes.total();
    }

    @Override
    @SuppressWarnings("deprecation")
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
        return InstrumentationLibraryInfo.create(origin.scope().getName(), origin.scope().getVersion());
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
        return origin.scope();
    }

    @Override
    public Resource getResource() {
        return origin.resource();
    }

    @Override
    public String toString() {
        return "ExchangeSpan{" + name + ", " + kind + ", " + context.getTraceId() + "/" + context.getSpanId()
                + ", parent " + parent.getSpanId() + ", " + status + ", " + attributes + "}";
    }
}
