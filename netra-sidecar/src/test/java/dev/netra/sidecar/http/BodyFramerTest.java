package dev.netra.sidecar.http;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What may pass a body framer unseen (spliced) and how it counts it. */
class BodyFramerTest {
    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aLengthBodyPassesItsRestAndEndsWithIt() {
        BodyFramer body = new BodyFramer();
        body.start(BodyFramer.Mode.LENGTH, 100);
        body.advance(ascii("x".repeat(30)));
        assertEquals(70, body.passable());
        body.passed(50);
        assertEquals(20, body.passable());
        assertFalse(body.done());
        body.passed(20);
        assertTrue(body.done());
        assertEquals(100, body.bodyBytes());
        assertThrows(IllegalArgumentException.class, () -> body.passed(1), "not one byte past the body");
    }

    @Test
    void aChunkedBodyPassesTheRestOfAChunksDataOnlyAndIsFramedAfterIt() {
        BodyFramer body = new BodyFramer();
        body.start(BodyFramer.Mode.CHUNKED, 0);
        assertEquals(0, body.passable(), "a chunk-size line must be read");
        ByteBuffer in = ascii("fffff\r\n" + "y".repeat(10));
        body.advance(in);
        assertEquals(0xfffff - 10, body.passable());
        body.passed(0xfffff - 10);
        assertEquals(0, body.passable(), "the CRLF after the data must be read");
        body.advance(ascii("\r\n0\r\n\r\n"));
        assertNull(body.error());
        assertTrue(body.done());
        assertEquals(0xfffff, body.bodyBytes());
    }

    @Test
    void aBodyUntilCloseAndNoBody() {
        BodyFramer body = new BodyFramer();
        body.start(BodyFramer.Mode.UNTIL_CLOSE, 0);
        assertEquals(Long.MAX_VALUE, body.passable());
        body.passed(1 << 20);
        assertEquals(1 << 20, body.bodyBytes());
        body.start(BodyFramer.Mode.NONE, 0);
        assertEquals(0, body.passable());
    }
}
