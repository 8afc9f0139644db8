package dev.netra.sidecar.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.observe.ExchangeRecord;
import dev.netra.sidecar.observe.Tap;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /tap?direction=&authority=&path=&status=&rate=&seconds=&format=}: the tap as JSON
 * lines (or text lines with {@code format=text}), one per exchange, for up to {@value #MAX_SECONDS} s (a client that wants more asks again, as
 * `bin/netra tap` does); an empty line every second without exchanges tells a client that left.
 */
final class TapEndpoint implements HttpHandler {
    /** Below the admin servers' response time limit. */
    public static final int MAX_SECONDS = 140;
    static final int DEFAULT_RATE = 100;
    static final int MAX_RATE = 1000;

    private final Tap tap;

    TapEndpoint(Tap tap) {
        this.tap = tap;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        Tap.Filter filter;
        int seconds;
        boolean text;
        try {
            Map<String, String> q = Query.parse(ex.getRequestURI().getRawQuery());
            filter = filter(q);
            seconds = Query.bounded(q, "seconds", MAX_SECONDS, 1, MAX_SECONDS);
            String format = q.getOrDefault("format", "json");
            if (!format.equals("json") && !format.equals("text")) {
                throw new IllegalArgumentException("format must be json or text, was '" + format + "'");
            }
            text = format.equals("text");
        } catch (IllegalArgumentException e) {
            ProfilingServer.respond(ex, 400, e.getMessage() + "\n");
            return;
        }
        try (Tap.Subscription s = tap.subscribe(filter)) {
            if (s == null) {
                ProfilingServer.respond(ex, 503, "the tap has " + Tap.MAX_SUBSCRIBERS + " subscribers already\n");
                return;
            }
            ex.getResponseHeaders().set("Content-Type", text ? "text/plain; charset=utf-8" : "application/x-ndjson");
            ex.sendResponseHeaders(200, 0);
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            try (OutputStream out = ex.getResponseBody()) {
                while (System.nanoTime() < deadline) {
                    ExchangeRecord r = s.next(1000);
                    out.write(r == null ? new byte[] {'\n'} : ((text ? r.text() : r.json()) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException gone) {
                // the subscriber left
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static Tap.Filter filter(Map<String, String> q) {
        Direction direction = null;
        String d = q.get("direction");
        if (d != null) {
            direction = switch (d) {
                case "inbound" -> Direction.INBOUND;
                case "outbound" -> Direction.OUTBOUND;
                default -> throw new IllegalArgumentException("direction must be inbound or outbound, was '" + d + "'");
            };
        }
        int statusClass = -1;
        String st = q.get("status");
        if (st != null) {
            statusClass = switch (st.toLowerCase(Locale.ROOT)) {
                case "1xx" -> 1;
                case "2xx" -> 2;
                case "3xx" -> 3;
                case "4xx" -> 4;
                case "5xx" -> 5;
                case "none" -> 0;
                default -> throw new IllegalArgumentException("status must be 1xx..5xx or none, was '" + st + "'");
            };
        }
        return new Tap.Filter(direction, q.get("authority"), q.get("path"), statusClass,
                Query.bounded(q, "rate", DEFAULT_RATE, 1, MAX_RATE));
    }
}
