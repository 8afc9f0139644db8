package dev.netra.testapp;

import java.io.IOException;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Prints a collector's spans as trees: service, kind, name, duration. */
public final class TraceTree {
    private TraceTree() {
    }

    /** Every trace, or with {@code requestId} only the trace whose spans carry that request id. */
    static void print(String host, int port, String requestId) throws IOException {
        String body;
        try (Socket s = new Socket(host, port)) {
            s.getOutputStream().write(("GET /spans HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            body = response.substring(response.indexOf("\r\n\r\n") + 4);
        }
        List<Map<String, String>> spans = parse(body);
        Map<String, List<Map<String, String>>> byTrace = new LinkedHashMap<>();
        for (Map<String, String> s : spans) {
            byTrace.computeIfAbsent(s.get("trace"), t -> new ArrayList<>()).add(s);
        }
        for (var trace : byTrace.entrySet()) {
            if (requestId != null && trace.getValue().stream().noneMatch(s -> requestId.equals(s.get("a.http.request_id")))) {
                continue;
            }
            System.out.println("trace " + trace.getKey() + " (" + trace.getValue().size() + " spans)");
            List<Map<String, String>> all = trace.getValue();
            all.stream().filter(s -> all.stream().noneMatch(p -> p.get("span").equals(s.get("parent"))))
                    .forEach(root -> print(root, all, "  "));
        }
    }

    private static void print(Map<String, String> span, List<Map<String, String>> all, String indent) {
        String grpc = span.get("a.rpc.grpc.status_code");
        System.out.printf("%s%s %s \"%s\" %.2f ms%s%s%n", indent, span.get("service"), span.get("kind"), span.get("name"),
                Long.parseLong(span.get("duration_us")) / 1000.0, grpc != null ? " grpc_status=" + grpc : "",
                "error".equals(span.get("status")) ? " ERROR" : "");
        all.stream().filter(c -> span.get("span").equals(c.get("parent")))
                .sorted(Comparator.comparing(c -> c.get("name")))
                .forEach(c -> print(c, all, indent + "  "));
    }

    /** The collector's /spans listing as one map per span (key: field, value: decoded). */
    public static List<Map<String, String>> parse(String body) {
        List<Map<String, String>> spans = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.startsWith("SPAN\t")) {
                continue;
            }
            Map<String, String> span = new LinkedHashMap<>();
            for (String field : line.substring(5).split("\t")) {
                int eq = field.indexOf('=');
                span.put(field.substring(0, eq), URLDecoder.decode(field.substring(eq + 1), StandardCharsets.UTF_8));
            }
            spans.add(span);
        }
        return spans;
    }
}
