package dev.netra.sidecar.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Spans to a Jaeger agent (or an OpenTelemetry Collector's jaeger receiver) as Thrift compact
 * {@code Agent.emitBatch} over UDP, as netramesh's Jaeger client sent them; every datagram stays
 * under the agent's 65000-byte limit.
 */
final class JaegerUdpExporter implements SpanExporter {
    static final int MAX_DATAGRAM = 65_000;
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private final String host;
    private final int port;
    private int seq;

    JaegerUdpExporter(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        this.host = hostPort.substring(0, colon);
        this.port = Integer.parseInt(hostPort.substring(colon + 1));
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        if (spans.isEmpty()) {
            return CompletableResultCode.ofSuccess();
        }
        try (DatagramChannel ch = DatagramChannel.open()) {
            InetSocketAddress agent = new InetSocketAddress(host, port);
            if (agent.isUnresolved()) {
                return CompletableResultCode.ofExceptionalFailure(new IOException("cannot resolve JAEGER_AGENT_HOST " + host));
            }
            for (byte[] datagram : datagrams(spans)) {
                ch.send(ByteBuffer.wrap(datagram), agent);
            }
            return CompletableResultCode.ofSuccess();
        } catch (IOException | RuntimeException e) {
            return CompletableResultCode.ofExceptionalFailure(e);
        }
    }

    /** Encoded emitBatch messages, as many spans per datagram as fit. */
    List<byte[]> datagrams(Collection<SpanData> spans) {
        Attributes resource = spans.iterator().next().getResource().getAttributes();
        byte[] process = process(resource);
        List<byte[]> out = new ArrayList<>();
        List<byte[]> pending = new ArrayList<>();
        int pendingBytes = 0;
        for (SpanData s : spans) {
            byte[] span = span(s);
            if (process.length + span.length + 64 > MAX_DATAGRAM) {
                continue; // a single span this large cannot be sent over UDP at all
            }
            if (process.length + pendingBytes + span.length + 64 > MAX_DATAGRAM) {
                out.add(batch(process, pending));
                pending = new ArrayList<>();
                pendingBytes = 0;
            }
            pending.add(span);
            pendingBytes += span.length;
        }
        if (!pending.isEmpty()) {
            out.add(batch(process, pending));
        }
        return out;
    }

    private byte[] batch(byte[] process, List<byte[]> spans) {
        ThriftCompactWriter w = new ThriftCompactWriter();
        w.messageBegin("emitBatch", ++seq);
        w.structBegin();                       // emitBatch_args
        w.field(1, ThriftCompactWriter.STRUCT); // batch
        w.structBegin();
        w.field(1, ThriftCompactWriter.STRUCT); // process
        w.writeRaw(process);
        w.field(2, ThriftCompactWriter.LIST);   // spans
        w.listBegin(ThriftCompactWriter.STRUCT, spans.size());
        for (byte[] s : spans) {
            w.writeRaw(s);
        }
        w.structEnd();
        w.structEnd();
        return w.toByteArray();
    }

    /** A Process struct body (fields and STOP), to be written after its field header. */
    private static byte[] process(Attributes resource) {
        ThriftCompactWriter w = new ThriftCompactWriter();
        w.structBegin();
        w.field(1, ThriftCompactWriter.STRING);
        String service = resource.get(SERVICE_NAME);
        w.string(service == null ? "netra" : service);
        List<Tag> tags = new ArrayList<>();
        resource.forEach((k, v) -> {
            if (!k.getKey().equals("service.name")) {
                tags.add(Tag.of(k.getKey(), v));
            }
        });
        w.field(2, ThriftCompactWriter.LIST);
        tags(w, tags);
        w.structEnd();
        return w.toByteArray();
    }

    private static byte[] span(SpanData s) {
        ThriftCompactWriter w = new ThriftCompactWriter();
        String traceId = s.getTraceId();
        w.structBegin();
        w.field(1, ThriftCompactWriter.I64);
        w.i64(Long.parseUnsignedLong(traceId.substring(16), 16));
        w.field(2, ThriftCompactWriter.I64);
        w.i64(Long.parseUnsignedLong(traceId.substring(0, 16), 16));
        w.field(3, ThriftCompactWriter.I64);
        w.i64(Long.parseUnsignedLong(s.getSpanId(), 16));
        w.field(4, ThriftCompactWriter.I64);
        w.i64(s.getParentSpanContext().isValid() ? Long.parseUnsignedLong(s.getParentSpanId(), 16) : 0);
        w.field(5, ThriftCompactWriter.STRING);
        w.string(s.getName());
        w.field(7, ThriftCompactWriter.I32);
        w.i32(s.getSpanContext().isSampled() ? 1 : 0);
        w.field(8, ThriftCompactWriter.I64);
        w.i64(s.getStartEpochNanos() / 1000);
        w.field(9, ThriftCompactWriter.I64);
        w.i64((s.getEndEpochNanos() - s.getStartEpochNanos()) / 1000);
        List<Tag> tags = new ArrayList<>();
        s.getAttributes().forEach((k, v) -> tags.add(Tag.of(k.getKey(), v)));
        if (s.getAttributes().get(AttributeKey.stringKey("span.kind")) == null && s.getKind() != SpanKind.INTERNAL) {
            tags.add(new Tag("span.kind", s.getKind().name().toLowerCase(Locale.ROOT)));
        }
        if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
            if (s.getAttributes().get(AttributeKey.booleanKey("error")) == null) {
                tags.add(new Tag("error", true));
            }
            if (!s.getStatus().getDescription().isEmpty()) {
                tags.add(new Tag("otel.status_description", s.getStatus().getDescription()));
            }
        }
        w.field(10, ThriftCompactWriter.LIST);
        tags(w, tags);
        w.structEnd();
        return w.toByteArray();
    }

    private static void tags(ThriftCompactWriter w, List<Tag> tags) {
        w.listBegin(ThriftCompactWriter.STRUCT, tags.size());
        for (Tag t : tags) {
            w.structBegin();
            w.field(1, ThriftCompactWriter.STRING);
            w.string(t.key());
            w.field(2, ThriftCompactWriter.I32);
            switch (t.value()) {
                case Boolean b -> {
                    w.i32(2);
                    w.boolField(5, b);
                }
                case Long l -> {
                    w.i32(3);
                    w.field(6, ThriftCompactWriter.I64);
                    w.i64(l);
                }
                case Double d -> {
                    w.i32(1);
                    w.field(4, ThriftCompactWriter.DOUBLE);
                    w.dbl(d);
                }
                default -> {
                    w.i32(0);
                    w.field(3, ThriftCompactWriter.STRING);
                    w.string(String.valueOf(t.value()));
                }
            }
            w.structEnd();
        }
    }

    private record Tag(String key, Object value) {
        static Tag of(String key, Object v) {
            return new Tag(key, v instanceof Integer i ? Long.valueOf(i) : v instanceof List<?> l ? l.toString() : v);
        }
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
