package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeadArraysTest {

    @Test
    void arraysComeInPowerOfTwoSizesAndOnlyThoseAreKept() {
        HeadArrays arrays = new HeadArrays();
        assertEquals(1024, arrays.acquire(1).length);
        assertEquals(1024, arrays.acquire(1024).length);
        assertEquals(2048, arrays.acquire(1025).length);
        assertEquals(64 * 1024, arrays.acquire(40_000).length);
        byte[] oversize = arrays.acquire(64 * 1024 + 1);
        assertEquals(64 * 1024 + 1, oversize.length);
        assertEquals(5, arrays.borrowed());

        arrays.release(oversize);
        arrays.release(new byte[1000]); // not one of ours: never handed out again
        assertEquals(0, arrays.spareBytes());

        byte[] b = arrays.acquire(3000);
        arrays.release(b);
        assertSame(b, arrays.acquire(2049), "the array given back last is the next one out");
    }

    @Test
    void sparesAreBoundedAndDrained() {
        HeadArrays arrays = new HeadArrays();
        for (int i = 0; i < 3000; i++) {
            arrays.release(new byte[1024]);
        }
        assertEquals(1 << 20, arrays.spareBytes(), "at most 1 MB of spares per size");
        arrays.drain();
        assertEquals(0, arrays.spareBytes());
    }

    @Test
    void idleKeepAliveConnectionsHoldNoHeadArrays() throws Exception {
        HeadArrays arrays = new HeadArrays();
        Harness a = new Harness(Direction.OUTBOUND, new RequestIdEdits("X-Request-Id", "X-Source", "netra"),
                true, 64 * 1024, arrays);
        Harness b = Harness.transparentWith(arrays);
        String cookie = "c=" + "x".repeat(5000); // a head that grows its array 2 -> 4 -> 8 KB
        byte[] bigRequest = ("GET /big HTTP/1.1\r\nHost: b\r\nCookie: " + cookie + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] request = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);

        for (int round = 0; round < 3; round++) {
            // both connections in the middle of a head at once: each holds its own array
            a.client(request, 10);
            b.client(bigRequest, 2500, 4500);
            assertEquals(2, arrays.borrowed(), "each open exchange holds the copy of its request head, no more");
            a.server(response, 20);
            b.server(response, 5);
        }
        assertEquals(0, arrays.borrowed(), "between messages, no connection holds a head array");

        // the bytes came through intact although the two connections shared (and swapped) arrays
        byte[] expected = (new String(bigRequest, StandardCharsets.US_ASCII).repeat(3)).getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(expected, b.toUpstream.toByteArray());
        assertEquals(new String(response, StandardCharsets.US_ASCII).repeat(3), b.toClient.toString(StandardCharsets.US_ASCII));
        String sentByA = a.toUpstream.toString(StandardCharsets.US_ASCII);
        assertEquals(3, sentByA.split("GET /a HTTP/1.1\r\nHost: a\r\n", -1).length - 1, sentByA);
        assertTrue(sentByA.contains("X-Request-Id: "), sentByA);
        assertEquals(3, b.exchanges.size());
        assertEquals(cookie, b.exchanges.get(2).requestHeader("Cookie"));
    }

    @Test
    void anExchangeEndsOnceSoItsArraysGoBackOnce() throws Exception {
        HeadArrays arrays = new HeadArrays();
        Harness h = Harness.transparentWith(arrays);
        h.client("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        h.server("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        long spares = arrays.spareBytes();
        // an aborting close() racing the response's end reaches the same exchange a second time
        h.session.complete(h.exchanges.get(0));
        h.session.close(Exchange.End.ABORTED);
        assertEquals(spares, arrays.spareBytes(), "a second end must not give the same arrays back again");
        assertEquals(0, arrays.borrowed());
        assertEquals(1, h.exchanges.size(), "and listeners hear of it once");
    }

    @Test
    void aHeadSplitAcrossReadsKeepsItsArrayUntilItIsComplete() throws Exception {
        HeadArrays arrays = new HeadArrays();
        Harness h = Harness.transparentWith(arrays);
        byte[] request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        h.session.decide(dev.netra.sidecar.detect.Protocol.HTTP1);
        h.requests.forward(java.nio.ByteBuffer.wrap(request, 0, 10));
        assertEquals(1, arrays.borrowed(), "the reader holds the first part");
        h.requests.forward(java.nio.ByteBuffer.wrap(request, 10, request.length - 10));
        assertEquals(1, arrays.borrowed(), "only the exchange's copy is left, until its response");
        h.server("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, arrays.borrowed());
        assertArrayEquals(request, h.toUpstream.toByteArray());
    }
}
