package dev.netra.testapp;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A trace collector for tests that really decodes what it receives: OTLP/HTTP protobuf with the
 * official opentelemetry-proto classes, and Jaeger Thrift compact emitBatch datagrams. It lists
 * every span at GET /spans, one line each: tab-separated key=value, values URL-encoded.
 */
final class Collector {
    record Span(String source, String service, String trace, String span, String parent, String kind, String name,
                String status, long durationMicros, Map<String, String> attributes) {
        String line() {
            StringBuilder b = new StringBuilder("SPAN");
            add(b, "source", source);
            add(b, "service", service);
            add(b, "trace", trace);
            add(b, "span", span);
            add(b, "parent", parent);
            add(b, "kind", kind);
            add(b, "name", name);
            add(b, "status", status);
            add(b, "duration_us", Long.toString(durationMicros));
            attributes.forEach((k, v) -> add(b, "a." + k, v));
            return b.toString();
        }

        private static void add(StringBuilder b, String k, String v) {
            b.append('\t').append(k).append('=').append(URLEncoder.encode(v == null ? "" : v, StandardCharsets.UTF_8));
        }
    }

    private static final List<Span> SPANS = new CopyOnWriteArrayList<>();

    private Collector() {
    }

    static void run(int otlpPort, int jaegerPort) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(otlpPort), 64);
        http.createContext("/v1/traces", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            try {
                otlp(ExportTraceServiceRequest.parseFrom(body));
                ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                ex.sendResponseHeaders(200, -1);
            } catch (IOException e) {
                System.out.println("bad OTLP request: " + e);
                ex.sendResponseHeaders(400, -1);
            }
            ex.close();
        });
        http.createContext("/spans", ex -> {
            StringBuilder out = new StringBuilder();
            for (Span s : SPANS) {
                out.append(s.line()).append('\n');
            }
            byte[] b = out.toString().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.start();
        DatagramChannel udp = DatagramChannel.open().bind(new InetSocketAddress(jaegerPort));
        Thread.ofPlatform().start(() -> {
            ByteBuffer buf = ByteBuffer.allocate(65_536);
            while (true) {
                try {
                    buf.clear();
                    udp.receive(buf);
                    buf.flip();
                    jaeger(buf);
                } catch (IOException | RuntimeException e) {
                    System.out.println("bad Jaeger datagram: " + e);
                }
            }
        });
        System.out.println("collector: OTLP/HTTP on " + otlpPort + ", Jaeger UDP on " + jaegerPort + ", spans at /spans");
    }

    private static void otlp(ExportTraceServiceRequest request) {
        HexFormat hex = HexFormat.of();
        for (ResourceSpans rs : request.getResourceSpansList()) {
            String service = "";
            Map<String, String> resource = new LinkedHashMap<>(); // kept as span attributes "resource.<key>"
            for (KeyValue kv : rs.getResource().getAttributesList()) {
                if (kv.getKey().equals("service.name")) {
                    service = kv.getValue().getStringValue();
                }
                resource.put("resource." + kv.getKey(), string(kv.getValue()));
            }
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (io.opentelemetry.proto.trace.v1.Span s : ss.getSpansList()) {
                    Map<String, String> attrs = new LinkedHashMap<>();
                    for (KeyValue kv : s.getAttributesList()) {
                        attrs.put(kv.getKey(), string(kv.getValue()));
                    }
                    attrs.putAll(resource);
                    String kind = s.getKind().name().replace("SPAN_KIND_", "").toLowerCase(Locale.ROOT);
                    String status = s.getStatus().getCode().name().replace("STATUS_CODE_", "").toLowerCase(Locale.ROOT);
                    SPANS.add(new Span("otlp", service, hex.formatHex(s.getTraceId().toByteArray()),
                            hex.formatHex(s.getSpanId().toByteArray()), hex.formatHex(s.getParentSpanId().toByteArray()),
                            kind, s.getName(), status, (s.getEndTimeUnixNano() - s.getStartTimeUnixNano()) / 1000, attrs));
                }
            }
        }
    }

    private static String string(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
            case INT_VALUE -> Long.toString(v.getIntValue());
            case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
            default -> v.toString();
        };
    }

    /** Agent.emitBatch(1: Batch{1: Process{1: serviceName, 2: tags}, 2: list<Span>}) in Thrift compact. */
    @SuppressWarnings("unchecked")
    static void jaeger(ByteBuffer b) {
        ThriftCompactReader r = new ThriftCompactReader(b);
        String method = r.messageBegin();
        if (!method.equals("emitBatch")) {
            throw new IllegalArgumentException("not emitBatch: " + method);
        }
        Map<Integer, Object> args = r.struct();
        Map<Integer, Object> batch = (Map<Integer, Object>) args.get(1);
        Map<Integer, Object> process = (Map<Integer, Object>) batch.get(1);
        String service = (String) process.get(1);
        for (Object o : (List<Object>) batch.get(2)) {
            Map<Integer, Object> s = (Map<Integer, Object>) o;
            Map<String, String> attrs = new LinkedHashMap<>();
            for (Object t : (List<Object>) s.getOrDefault(10, new ArrayList<>())) {
                Map<Integer, Object> tag = (Map<Integer, Object>) t;
                Object v = tag.containsKey(3) ? tag.get(3) : tag.containsKey(4) ? tag.get(4)
                        : tag.containsKey(5) ? tag.get(5) : tag.get(6);
                attrs.put((String) tag.get(1), String.valueOf(v));
            }
            long parent = (Long) s.get(4);
            boolean error = "true".equals(attrs.get("error"));
            SPANS.add(new Span("jaeger", service, String.format("%016x%016x", (Long) s.get(2), (Long) s.get(1)),
                    String.format("%016x", (Long) s.get(3)), parent == 0 ? "" : String.format("%016x", parent),
                    attrs.getOrDefault("span.kind", ""), (String) s.get(5), error ? "error" : "unset",
                    (Long) s.get(9), attrs));
        }
    }
}
