package dev.netra.sidecar.observe;

import dev.netra.sidecar.Addresses;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Locale;

/**
 * One finished exchange as an operator sees it (access log, tap): copied out of the exchange when
 * it ends (its head arrays are reused afterwards), every text bounded, so a record is at most
 * ~1.5 KB whatever the peers sent.
 *
 * @param epochMillis    when the request head arrived
 * @param status         the response status, 0 when there was none
 * @param durationMicros request head to response end (or to the exchange's end)
 * @param upstream       where a routed request went, or null for its original destination
 * @param traceId        the span's trace id, or null when the exchange has no span
 * @param end            how it ended: complete, client_gone, upstream_gone, fallback, aborted, timed_out
 */
public record ExchangeRecord(long epochMillis, Direction direction, String client, String destination, String upstream,
                             String method, String authority, String path, int status, long requestBytes,
                             long responseBytes, long durationMicros, String requestId, String traceId, String end) {
    static final int MAX_PATH = 512;
    static final int MAX_SHORT = 256;

    /** Copies what an operator needs out of {@code e}, which is ending now. */
    public static ExchangeRecord of(Exchange e, String traceId) {
        long now = System.nanoTime();
        long start = e.requestHeadNanos();
        long until = e.responseEndNanos() != 0 ? e.responseEndNanos() : now;
        return new ExchangeRecord(System.currentTimeMillis() - (now - start) / 1_000_000, e.direction(),
                address(e.client()), address(e.destination()), e.upstream() == null ? null : address(e.upstream()),
                cut(e.method(), MAX_SHORT), cut(e.host(), MAX_SHORT), cut(e.path(), MAX_PATH), e.status(),
                e.requestBodyBytes(), e.responseBodyBytes(), Math.max(0, (until - start) / 1000),
                cut(e.requestId(), MAX_SHORT), traceId, e.end() == null ? "open" : e.end().name().toLowerCase(Locale.ROOT));
    }

    /** One JSON object, one line: what `NETRA_ACCESS_LOG=json` and the tap write. */
    public String json() {
        StringBuilder b = new StringBuilder(256).append('{');
        Json.field(b, "time", Instant.ofEpochMilli(epochMillis).toString()).append(',');
        Json.field(b, "direction", direction.label()).append(',');
        Json.field(b, "client", client).append(',');
        Json.field(b, "destination", destination).append(',');
        if (upstream != null) {
            Json.field(b, "upstream", upstream).append(',');
        }
        Json.field(b, "method", method).append(',');
        Json.field(b, "authority", authority).append(',');
        Json.field(b, "path", path).append(',');
        b.append("\"status\":").append(status).append(',');
        b.append("\"request_bytes\":").append(requestBytes).append(',');
        b.append("\"response_bytes\":").append(responseBytes).append(',');
        b.append("\"duration_us\":").append(durationMicros).append(',');
        Json.field(b, "request_id", requestId).append(',');
        Json.field(b, "trace_id", traceId).append(',');
        Json.field(b, "end", end);
        return b.append('}').toString();
    }

    /** One line of text: time, direction, method, authority and path, status, duration, sizes, ids, end, peers. */
    public String text() {
        return String.format(Locale.ROOT, "%s %-8s %s %s%s %d %.3fms req=%d resp=%d rid=%s trace=%s end=%s %s -> %s%s",
                Instant.ofEpochMilli(epochMillis), direction.label(), dash(method), authority == null ? "" : authority,
                dash(path), status, durationMicros / 1000.0, requestBytes, responseBytes, dash(requestId), dash(traceId),
                end, dash(client), dash(destination), upstream == null ? "" : " (routed to " + upstream + ")");
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }

    private static String address(InetSocketAddress a) {
        return a == null ? null : Addresses.format(a);
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

}
