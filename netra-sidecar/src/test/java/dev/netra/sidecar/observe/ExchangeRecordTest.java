package dev.netra.sidecar.observe;

import dev.netra.sidecar.Direction;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator reads of an exchange: every field, escaped, bounded. */
class ExchangeRecordTest {
    private static List<ExchangeRecord> records(Direction d, String requests, String responses) throws Exception {
        List<ExchangeRecord> got = new ArrayList<>();
        Played.play(e -> got.add(ExchangeRecord.of(e, "4bf92f3577b34da6a3ce929d0e0e4736")), d, requests, responses);
        return got;
    }

    @Test
    void everyFieldIsInTheJsonLine() throws Exception {
        ExchangeRecord r = records(Direction.INBOUND, Played.get("/api/x?q=1", "shop:8080", "X-Request-Id: rid-1\r\n"),
                Played.response(503, "busy")).getFirst();
        String json = r.json();
        assertTrue(json.matches("\\{\"time\":\"20[0-9-]{8}T[0-9:.]+Z\",\"direction\":\"inbound\",\"client\":\"10.0.0.1:40000\","
                + "\"destination\":\"10.0.0.2:8080\",\"method\":\"GET\",\"authority\":\"shop:8080\",\"path\":\"/api/x\","
                + "\"status\":503,\"request_bytes\":0,\"response_bytes\":4,\"duration_us\":[0-9]+,\"request_id\":\"rid-1\","
                + "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"end\":\"complete\"}"), json);
        assertTrue(r.text().contains(" inbound  GET shop:8080/api/x 503 "), r.text());
        assertTrue(r.text().contains("rid=rid-1 trace=4bf92f3577b34da6a3ce929d0e0e4736 end=complete 10.0.0.1:40000 -> 10.0.0.2:8080"),
                r.text());
    }

    @Test
    void whatAPeerSentIsEscapedAndBounded() throws Exception {
        String path = "/\"quoted\"\\" + "p".repeat(2000);
        ExchangeRecord r = records(Direction.OUTBOUND, Played.get(path, "h", "X-Request-Id: a\u00e9b\r\n"),
                Played.response(200, "")).getFirst();
        assertEquals(ExchangeRecord.MAX_PATH, r.path().length(), "a path is cut to its bound");
        String json = r.json();
        assertTrue(json.contains("\"path\":\"/\\\"quoted\\\"\\\\ppp"), json);
        assertTrue(json.contains("\"request_id\":\"a\\u00e9b\""), json);
        assertTrue(json.length() < 1500, "a record stays small: " + json.length());
    }

    @Test
    void anExchangeWithoutAResponseSaysHowItEnded() throws Exception {
        ExchangeRecord r = records(Direction.OUTBOUND, Played.get("/slow", "h", ""), "").getFirst();
        assertEquals(0, r.status());
        assertTrue(r.json().contains("\"status\":0,") && r.json().contains("\"end\":\"upstream_gone\""), r.json());
    }
}
