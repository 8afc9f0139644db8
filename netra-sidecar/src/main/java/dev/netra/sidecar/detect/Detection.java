package dev.netra.sidecar.detect;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The detect stage: reads a client's first bytes until they tell its protocol, and keeps them
 * for replay, so that whatever runs next (an HTTP/1 framer, or plain forwarding) sees the stream
 * from its first byte. A verdict always comes by a deadline: bytes that cannot tell by then, a
 * stream that ends, or a server that spoke first make the connection opaque.
 */
public final class Detection {
    /** Enough for any verdict: a 20-byte method and a space, or the 24-byte HTTP/2 preface. */
    private static final int TIMED_READ_BYTES = 64;
    /** The first wait of {@link #awaitClient} before the server is asked whether it spoke. */
    private static final long FIRST_POLL_MILLIS = 50;

    private Detection() {
    }

    /**
     * Reads from {@code client} into {@code into} (in write mode; flipped, ready to replay, on return).
     *
     * @param timeout     NETRA_DETECT_TIMEOUT_MILLISECONDS: how long bytes that cannot tell yet are waited on
     * @param firstTimed  true when the first byte too must come by the deadline (nothing is connected
     *                    yet, so a server that speaks first would otherwise never be reached); false
     *                    when the upstream is connected and its bytes flow meanwhile
     * @param settled     true once the other side decided (a server spoke first): reading stops, what
     *                    was read goes on as it is, and the other side's decision stands
     */
    public static Protocol detect(SocketChannel client, ByteBuffer into, Duration timeout, boolean firstTimed,
                                  BooleanSupplier settled) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!firstTimed && client.read(into) < 0) {
            into.flip();
            return Protocol.OPAQUE;
        }
        return rest(client, into, deadline, settled);
    }

    /**
     * Waits for the client's first bytes however long it takes, asking {@code serverSpoke} between
     * reads that wait {@value #FIRST_POLL_MILLIS} ms, then 2, 4... up to a second; once bytes came,
     * goes on as {@link #detect}. Returns null, with whatever the client sent, when the server
     * spoke first. For a connection whose upstream is connected but not yet read (routing).
     */
    public static Protocol awaitClient(SocketChannel client, ByteBuffer into, Duration timeout,
                                       BooleanSupplier serverSpoke) throws IOException {
        byte[] chunk = new byte[TIMED_READ_BYTES];
        long pollNanos = FIRST_POLL_MILLIS * 1_000_000L;
        while (true) {
            if (serverSpoke.getAsBoolean()) {
                into.flip();
                return null;
            }
            int n = timedRead(client, chunk, Math.min(chunk.length, into.remaining()), pollNanos);
            if (n < 0) {
                into.flip();
                return Protocol.OPAQUE;
            }
            if (n > 0) {
                into.put(chunk, 0, n);
                return rest(client, into, System.nanoTime() + timeout.toNanos(), serverSpoke);
            }
            pollNanos = Math.min(2 * pollNanos, 1_000_000_000L);
        }
    }

    /** Reads on, each read waiting until {@code deadline}, until the bytes in {@code into} tell. */
    private static Protocol rest(SocketChannel client, ByteBuffer into, long deadline, BooleanSupplier settled)
            throws IOException {
        Protocol p = verdict(into);
        byte[] chunk = null;
        while (p == null && into.hasRemaining() && !settled.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                p = Protocol.OPAQUE;
                break;
            }
            if (chunk == null) {
                chunk = new byte[TIMED_READ_BYTES];
            }
            int n = timedRead(client, chunk, Math.min(chunk.length, into.remaining()), left);
            if (n < 0) {
                p = Protocol.OPAQUE;
                break;
            }
            into.put(chunk, 0, n);
            p = verdict(into);
        }
        into.flip();
        return p == null ? Protocol.OPAQUE : p;
    }

    private static Protocol verdict(ByteBuffer written) {
        return ProtocolDetector.detect(written.duplicate().flip());
    }

    /** One read that waits at most {@code nanos}: the bytes read, 0 when none came in time, -1 at the end of the stream. */
    private static int timedRead(SocketChannel client, byte[] chunk, int max, long nanos) throws IOException {
        client.socket().setSoTimeout((int) Math.max(1, nanos / 1_000_000));
        try {
            InputStream in = client.socket().getInputStream();
            return in.read(chunk, 0, max);
        } catch (SocketTimeoutException e) {
            return 0;
        } finally {
            client.socket().setSoTimeout(0);
        }
    }
}
