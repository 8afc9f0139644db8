package dev.netra.sidecar.trace;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.config.TracingConfig;
import dev.netra.sidecar.http.Cookies;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import dev.netra.sidecar.http.HeaderEditor;
import dev.netra.sidecar.http.HeaderEdits;
import dev.netra.sidecar.http.HttpHead;
import dev.netra.sidecar.http.RequestIdStore;
import dev.netra.sidecar.metrics.RuntimeMetrics.SpanCounters;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.extension.trace.propagation.JaegerPropagator;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import org.tinylog.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A span for every HTTP exchange: started when the request head passes (parent taken from the
 * request's trace headers, or for an outbound request without any, from the inbound request
 * with the same request id), injected into the forwarded request, and ended with the exchange.
 * Sampling and ids are the SDK's; the span itself is an {@link ExchangeSpan} handed straight to
 * the export queue (docs/performance-log.md: the SDK's span machinery allocated ~1.1 KB more per
 * exchange, in objects that then waited for their export batch).
 */
public final class Tracing implements AutoCloseable {
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private final TracingConfig config;
    private final Sampler sampler;
    private final IdGenerator ids = IdGenerator.random();
    private final ExchangeSpan.Origin origin;
    private final SpanExportQueue queue;
    /** Every attribute {@link #attributes} can set: the built-in ones and one per header or cookie tag. */
    private final int maxAttributes;
    private final RequestIdStore<StoredContext> store;
    private final Set<String> ignoredPaths;
    private final HeaderTag[] headerTags;
    private final Map<String, AttributeKey<String>> cookieTags;
    private final boolean netrameshAttributes;
    private final boolean otelAttributes;
    /** Extraction order: the first that yields a valid parent wins. */
    // Arrays, walked by index: the per-request loops below allocate no iterator.
    private final Format[] formats;
    private final TextMapPropagator[] injected;
    private final TextMapPropagator baggage = W3CBaggagePropagator.getInstance();
    private final boolean injectBaggage;
    private final long epochOffsetNanos;

    private record Format(String name, TextMapPropagator propagator) {
    }

    private static final Format B3_MULTI = new Format("b3multi", B3Propagator.injectingMultiHeaders());
    private static final byte[] B3_SINGLE = HttpHead.bytes("b3");

    /**
     * Builds the pipeline; {@code exporter} null means "from the config", made on the export
     * thread (the OTLP exporter's HTTP client takes longer to load than the rest): spans that end
     * meanwhile wait in the export queue.
     */
    public Tracing(SidecarConfig sidecar, SpanCounters counters, ScheduledExecutorService timer, SpanExporter exporter) {
        this.config = sidecar.tracing();
        this.store = new RequestIdStore<>(config.maxContexts(), RequestIdStore.MAX_BYTES,
                sidecar.tracing().contextExpiration(), StoredContext::bytes);
        this.ignoredPaths = Set.copyOf(sidecar.tracing().ignoredPaths());
        this.headerTags = headerTags(sidecar.tracing().headerTags());
        this.cookieTags = cookieTags(sidecar.tracing().cookieTags());
        this.netrameshAttributes = !config.attributes().equals("otel");
        this.otelAttributes = !config.attributes().equals("netramesh");
        Instant now = Instant.now();
        this.epochOffsetNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();

        AttributesBuilder resource = Attributes.builder();
        config.resource().forEach(resource::put);
        resource.put(SERVICE_NAME, sidecar.serviceName());
        origin = new ExchangeSpan.Origin(Resource.getDefault().merge(Resource.create(resource.build())),
                InstrumentationScopeInfo.create("netra"));
        sampler = Sampler.parentBased(rootSampler(config));
        queue = new SpanExportQueue(exporter != null ? () -> exporter : () -> exporters(config),
                config.queueSize(), config.otlpTimeout().toMillis(), counters);
        maxAttributes = BUILT_IN_ATTRIBUTES + headerTags.length + cookieTags.size();

        formats = new Format[] {new Format("tracecontext", W3CTraceContextPropagator.getInstance()),
                new Format("jaeger", JaegerPropagator.getInstance()),
                new Format("b3", B3Propagator.injectingSingleHeader())};
        List<TextMapPropagator> inject = new ArrayList<>();
        for (String p : config.propagators()) {
            switch (p) {
                case "tracecontext" -> inject.add(W3CTraceContextPropagator.getInstance());
                case "jaeger" -> inject.add(JaegerPropagator.getInstance());
                case "b3" -> inject.add(B3Propagator.injectingSingleHeader());
                case "b3multi" -> inject.add(B3Propagator.injectingMultiHeaders());
                default -> { }
            }
        }
        injected = inject.toArray(new TextMapPropagator[0]);
        injectBaggage = config.propagators().contains("baggage");
        long sweep = sidecar.tracing().contextCleanupInterval().toMillis();
        timer.scheduleWithFixedDelay(store::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    private static Sampler rootSampler(TracingConfig c) {
        return switch (c.sampler()) {
            case "always_off" -> Sampler.alwaysOff();
            case "ratio" -> Sampler.traceIdRatioBased(c.samplerArg());
            case "ratelimiting" -> new RateLimitingSampler(c.samplerArg());
            default -> Sampler.alwaysOn();
        };
    }

    private static SpanExporter exporters(TracingConfig c) {
        List<SpanExporter> exporters = new ArrayList<>();
        if (c.otlpEndpoint() != null) {
            exporters.add(new OtlpSpanExporter(c.otlpEndpoint(), c.otlpHeaders(), c.otlpTimeout()));
        }
        if (c.jaegerAgent() != null) {
            exporters.add(new JaegerUdpExporter(c.jaegerAgent()));
        }
        if (exporters.isEmpty()) {
            Logger.info("tracing: no exporter configured (OTEL_EXPORTER_OTLP_ENDPOINT or JAEGER_AGENT_HOST); "
                    + "spans are written to the log at debug level");
            exporters.add(new LogSpanExporter());
        }
        return SpanExporter.composite(exporters);
    }

    private final HeaderEdits edits = this::start;
    private final ExchangeListener listener = this::end;

    /** The header edit that starts spans and injects their context. */
    public HeaderEdits edits() {
        return edits;
    }

    /** The listener that ends spans with what the exchange became. */
    public ExchangeListener listener() {
        return listener;
    }

    int storedContexts() {
        return store.size();
    }

    /** The request-id to span-context store, for its metrics. */
    public RequestIdStore<?> contexts() {
        return store;
    }

    private void start(HttpHead head, Exchange e, HeaderEditor editor) {
        String path = e.path();
        if (ignoredPaths.contains(path)) {
            return;
        }
        Context parent = Context.root();
        boolean found = false;
        // Every format the request carries is noted: the first gives the parent, and all of them are
        // rewritten below, so that no stale copy points the app at the wrong parent.
        int carried = 0; // bit i: formats[i] is in the request
        for (int i = 0; i < formats.length; i++) {
            Context c = formats[i].propagator().extract(Context.root(), head, HeadCarrier.GETTER);
            if (Span.fromContext(c).getSpanContext().isValid()) {
                if (!found) {
                    parent = c;
                    found = true;
                }
                carried |= 1 << i;
            }
        }
        parent = baggage.extract(parent, head, HeadCarrier.GETTER);
        boolean inbound = e.direction() == Direction.INBOUND;
        if (!found && !inbound && e.requestId() != null) {
            StoredContext stored = store.get(e.requestId());
            if (stored != null) {
                parent = parent.with(Span.wrap(stored.toSpanContext()));
            }
        }
        boolean otelName = config.spanNames().equals("otel");
        String name = otelName && grpc(e) ? path.substring(1)
                : otelName ? e.method() : inbound ? path : (e.host() == null ? "" : e.host()) + path;
        SpanKind kind = inbound ? SpanKind.SERVER : SpanKind.CLIENT;
        // What the SDK's span builder does: the parent's trace or a new one, a new span id, and the
        // sampler's decision carried in the flags (parent-based: a sampled parent keeps it sampled).
        SpanContext parentContext = Span.fromContext(parent).getSpanContext();
        String traceId = parentContext.isValid() ? parentContext.getTraceId() : ids.generateTraceId();
        SamplingResult sampling = sampler.shouldSample(parent, traceId, name, kind, Attributes.empty(), List.of());
        boolean sampled = sampling.getDecision() == SamplingDecision.RECORD_AND_SAMPLE;
        SpanContext spanContext = SpanContext.create(traceId, ids.generateSpanId(),
                sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(),
                sampling.getUpdatedTraceState(parentContext.getTraceState()));
        if (inbound && e.requestId() != null) {
            store.put(e.requestId(), StoredContext.of(spanContext));
        }
        Context context = parent.with(Span.wrap(spanContext));
        for (int i = 0; i < injected.length; i++) {
            injected[i].inject(context, editor, HeadCarrier.SETTER);
        }
        // The format the request came with is kept current too: a stale copy would point at the wrong parent.
        for (int i = 0; i < formats.length; i++) {
            if ((carried & 1 << i) == 0) {
                continue;
            }
            Format f = formats[i];
            Format kept = f.name().equals("b3") && head.value(B3_SINGLE) == null ? B3_MULTI : f;
            if (!config.propagators().contains(kept.name())) {
                kept.propagator().inject(context, editor, HeadCarrier.SETTER);
            }
        }
        if (injectBaggage) {
            baggage.inject(context, editor, HeadCarrier.SETTER);
        }
        if (sampled) {
            e.attach(new ExchangeSpan(name, kind, spanContext, parentContext,
                    epochOffsetNanos + e.requestHeadNanos(), origin, maxAttributes));
        }
    }

    private void end(Exchange e) {
        if (!(e.attachment() instanceof ExchangeSpan span) || !span.claimEnd()) {
            return;
        }
        attributes(span.attributes(), e);
        int status = e.status();
        StatusData result = StatusData.unset();
        if (status >= 500) {
            result = StatusData.create(StatusCode.ERROR, "HTTP " + status);
        } else if (grpcError(e)) {
            result = StatusData.create(StatusCode.ERROR, "gRPC status " + e.grpcStatus());
        } else if (e.end() != Exchange.End.COMPLETE) {
            result = StatusData.create(StatusCode.ERROR, "no response: " + e.end().name().toLowerCase(Locale.ROOT));
        }
        long end = e.end() == Exchange.End.COMPLETE ? e.responseEndNanos() : System.nanoTime();
        span.end(result, epochOffsetNanos + end);
        queue.offer(span);
    }

    // Keys made once: a key made per call would be encoded to UTF-8 again for every exported span.
    private static final AttributeKey<String> SPAN_KIND = AttributeKey.stringKey("span.kind");
    private static final AttributeKey<String> REMOTE_ADDR = AttributeKey.stringKey("remote_addr");
    private static final AttributeKey<String> HTTP_HOST = AttributeKey.stringKey("http.host");
    private static final AttributeKey<String> HTTP_PATH = AttributeKey.stringKey("http.path");
    private static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.method");
    private static final AttributeKey<Long> HTTP_REQUEST_SIZE = AttributeKey.longKey("http.request_size");
    private static final AttributeKey<Long> HTTP_RESPONSE_SIZE = AttributeKey.longKey("http.response_size");
    private static final AttributeKey<Long> HTTP_STATUS_CODE = AttributeKey.longKey("http.status_code");
    private static final AttributeKey<String> HTTP_USER_AGENT = AttributeKey.stringKey("http.user_agent");
    private static final AttributeKey<String> HTTP_REQUEST_ID = AttributeKey.stringKey("http.request_id");
    private static final AttributeKey<Boolean> ERROR = AttributeKey.booleanKey("error");
    private static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> URL_QUERY = AttributeKey.stringKey("url.query");
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    private static final AttributeKey<String> NETWORK_PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
    private static final AttributeKey<String> NETWORK_PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
    private static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> USER_AGENT_ORIGINAL = AttributeKey.stringKey("user_agent.original");
    private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    private static final AttributeKey<Long> RPC_GRPC_STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");
    private static final AttributeKey<Long> HTTP2_ERROR_CODE = AttributeKey.longKey("http2.rst_stream.error_code");
    private static final List<AttributeKey<?>> BUILT_IN = List.of(SPAN_KIND, REMOTE_ADDR, HTTP_HOST, HTTP_PATH,
            HTTP_METHOD, HTTP_REQUEST_SIZE, HTTP_RESPONSE_SIZE, HTTP_STATUS_CODE, HTTP_USER_AGENT, HTTP_REQUEST_ID,
            ERROR, HTTP_REQUEST_METHOD, URL_PATH, URL_QUERY, SERVER_ADDRESS, SERVER_PORT, NETWORK_PEER_ADDRESS,
            NETWORK_PROTOCOL_VERSION, HTTP_RESPONSE_STATUS_CODE, USER_AGENT_ORIGINAL, RPC_SYSTEM, RPC_SERVICE, RPC_METHOD,
            RPC_GRPC_STATUS_CODE, HTTP2_ERROR_CODE);
    /** A span's attribute capacity before tags (TracingTest checks that a span setting all of them drops none). */
    static final int BUILT_IN_ATTRIBUTES = BUILT_IN.size();
    private static final byte[] USER_AGENT = HttpHead.bytes("user-agent");
    private static final byte[] COOKIE = HttpHead.bytes("cookie");

    /** A request header copied to a span attribute (NETRA_HTTP_HEADER_TAG_MAP). */
    private record HeaderTag(byte[] header, AttributeKey<String> key) {
    }

    /** Status codes boxed once: Long.valueOf caches only up to 127, and every span carries one or two. */
    private static final Long[] STATUS_CODES = new Long[600];

    static {
        for (int i = 0; i < STATUS_CODES.length; i++) {
            STATUS_CODES[i] = (long) i;
        }
    }

    private static Long statusCode(int status) {
        return status < STATUS_CODES.length ? STATUS_CODES[status] : Long.valueOf(status);
    }

    private static HeaderTag[] headerTags(Map<String, String> map) {
        List<HeaderTag> tags = new ArrayList<>();
        map.forEach((header, tag) -> tags.add(new HeaderTag(
                HttpHead.bytes(header.toLowerCase(Locale.ROOT)), AttributeKey.stringKey(tag))));
        return tags.toArray(new HeaderTag[0]);
    }

    private static Map<String, AttributeKey<String>> cookieTags(Map<String, String> map) {
        Map<String, AttributeKey<String>> tags = new java.util.HashMap<>();
        map.forEach((cookie, tag) -> tags.put(cookie, AttributeKey.stringKey(tag)));
        return Map.copyOf(tags);
    }

    /** A gRPC call whose path names a service and a method ("/package.Service/Method"). */
    private static boolean grpc(Exchange e) {
        return e.grpc() && e.path().indexOf('/', 1) > 0;
    }

    /**
     * Whether a gRPC status makes the span an error, as OpenTelemetry's gRPC conventions say: any
     * status but OK on a client span; on a server span only the codes that tell a server fault
     * (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS).
     */
    private static boolean grpcError(Exchange e) {
        int s = e.grpcStatus();
        if (s <= 0) {
            return false;
        }
        if (e.direction() == Direction.OUTBOUND) {
            return true;
        }
        return s == 2 || s == 4 || s == 12 || s == 13 || s == 14 || s == 15;
    }

    private void attributes(SpanAttributes attrs, Exchange e) {
        boolean inbound = e.direction() == Direction.INBOUND;
        String userAgent = e.requestHeader(USER_AGENT);
        String peerAddress = e.clientHost();
        if (netrameshAttributes) {
            attrs.put(SPAN_KIND, inbound ? "server" : "client");
            if (peerAddress != null) {
                attrs.put(REMOTE_ADDR, e.clientHostAndPort());
            }
            if (e.host() != null) {
                attrs.put(HTTP_HOST, e.host());
            }
            attrs.put(HTTP_PATH, e.path());
            attrs.put(HTTP_METHOD, e.method());
            attrs.put(HTTP_REQUEST_SIZE, e.requestBodyBytes());
            attrs.put(HTTP_RESPONSE_SIZE, e.responseBodyBytes());
            if (e.status() > 0) {
                attrs.put(HTTP_STATUS_CODE, statusCode(e.status()));
            }
            if (userAgent != null) {
                attrs.put(HTTP_USER_AGENT, userAgent);
            }
            if (e.requestId() != null) {
                attrs.put(HTTP_REQUEST_ID, e.requestId());
            }
            if (e.status() >= 500) {
                attrs.put(ERROR, true);
            }
        }
        if (otelAttributes) {
            attrs.put(HTTP_REQUEST_METHOD, e.method());
            attrs.put(URL_PATH, e.path());
            if (config.urlQuery() && e.query() != null) {
                attrs.put(URL_QUERY, e.query());
            }
            String host = e.host();
            if (host != null) {
                int colon = host.lastIndexOf(':');
                boolean hasPort = colon > 0 && host.indexOf(']') < colon;
                attrs.put(SERVER_ADDRESS, hasPort ? host.substring(0, colon) : host);
                if (hasPort) {
                    try {
                        attrs.put(SERVER_PORT, Long.parseLong(host.substring(colon + 1)));
                    } catch (NumberFormatException ignored) {
                        // a Host header that is not host:port tells no port
                    }
                }
            }
            if (e.destination() != null && host == null) {
                attrs.put(SERVER_PORT, (long) e.destination().getPort());
            }
            if (peerAddress != null) {
                attrs.put(NETWORK_PEER_ADDRESS, peerAddress);
            }
            attrs.put(NETWORK_PROTOCOL_VERSION, e.version());
            if (e.status() > 0) {
                attrs.put(HTTP_RESPONSE_STATUS_CODE, statusCode(e.status()));
            }
            if (userAgent != null) {
                attrs.put(USER_AGENT_ORIGINAL, userAgent);
            }
        }
        if (grpc(e)) {
            String path = e.path();
            int slash = path.indexOf('/', 1);
            attrs.put(RPC_SYSTEM, "grpc");
            attrs.put(RPC_SERVICE, path.substring(1, slash));
            attrs.put(RPC_METHOD, path.substring(slash + 1));
            if (e.grpcStatus() >= 0) {
                attrs.put(RPC_GRPC_STATUS_CODE, (long) e.grpcStatus());
            }
        }
        if (e.resetCode() >= 0) {
            attrs.put(HTTP2_ERROR_CODE, e.resetCode());
        }
        for (int i = 0; i < headerTags.length; i++) {
            HeaderTag tag = headerTags[i];
            String v = e.requestHeader(tag.header());
            if (v != null) {
                attrs.put(tag.key(), v);
            }
        }
        if (!cookieTags.isEmpty()) {
            String cookies = e.requestHeader(COOKIE);
            if (cookies != null) {
                Cookies.forEach(cookies, (name, value) -> {
                    AttributeKey<String> tag = cookieTags.get(name);
                    if (tag != null) {
                        attrs.put(tag, value);
                    }
                });
            }
        }
    }

    /** Waits (up to 5 s) until every span queued so far went to the exporter. */
    void flush() {
        queue.forceFlush().join(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        queue.forceFlush().join(5, TimeUnit.SECONDS);
        queue.shutdown().join(5, TimeUnit.SECONDS);
    }
}
