package dev.netra.sidecar.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class CookiesTest {
    @Test
    void findsANamedCookieAmongOthers() {
        assertEquals("b1=b2", Cookies.find("session=abc; X-Route=b1=b2 ;theme=dark", "X-Route"));
        assertEquals("abc", Cookies.find("session=abc", "session"));
        assertEquals("", Cookies.find("a=1; empty=; b=2", "empty"));
    }

    @Test
    void missingOrMalformedPairsGiveNothing() {
        assertNull(Cookies.find("session=abc; theme=dark", "X-Route"));
        assertNull(Cookies.find("", "a"));
        assertNull(Cookies.find("noequals; =value; ;", "noequals"));
        assertNull(Cookies.find("X-Routed=1", "X-Route"));
    }

    @Test
    void visitsEveryPairInOrderAndTheFirstOfTwoWins() {
        List<String> seen = new ArrayList<>();
        Cookies.forEach(" a = 1 ;b=2;;=x; c=3=4", (n, v) -> seen.add(n + "|" + v));
        assertEquals(List.of("a|1", "b|2", "c|3=4"), seen);
        assertEquals("1", Cookies.find("a=1; a=2", "a"));
    }
}
