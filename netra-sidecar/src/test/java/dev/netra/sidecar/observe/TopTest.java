package dev.netra.sidecar.observe;

import dev.netra.sidecar.Direction;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bin/netra top: the tap's lines by route, with rates, success and quantiles, bounded. */
class TopTest {
    private static String line(String authority, String path, int status, long micros) {
        return new ExchangeRecord(0, Direction.INBOUND, "10.0.0.1:1", "10.0.0.2:80", null, "GET", authority, path, status,
                0, 0, micros, "r", null, "complete").json();
    }

    @Test
    void routesAreAggregatedBusiestFirst() {
        Top top = new Top();
        for (int i = 1; i <= 100; i++) {
            top.add(line("shop", "/cart", i <= 90 ? 200 : 503, i * 1000L));
        }
        top.add(line("shop", "/health", 200, 500));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        top.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        String[] rows = out.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(rows[0].startsWith("DIRECTION AUTHORITY+PATH"), rows[0]);
        assertTrue(rows[1].startsWith("inbound shop/cart ") && rows[1].contains(" 90.0% ")
                && rows[1].contains(" 50.00 ") && rows[1].endsWith(" 99.00"), rows[1]);
        assertTrue(rows[2].startsWith("inbound shop/health ") && rows[2].contains(" 100.0% "), rows[2]);
    }

    @Test
    void routesAreBounded() {
        Top top = new Top();
        for (int i = 0; i < Top.MAX_ROUTES + 50; i++) {
            top.add(line("shop", "/item/" + i, 200, 1000));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        top.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(Top.MAX_ROUTES + 2, text.split("\n").length, "a header, the routes kept, one \"other\"");
        assertTrue(text.contains("inbound (other)"), text);
    }
}
