package dev.netra.sidecar;

import dev.netra.ffm.SocketOptions;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.HttpSettings;
import org.tinylog.Logger;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * Pays the first-use costs of the connection path (linking the FFM downcalls, loading the HTTP
 * framers) on a spare core while the listener comes up, instead of inside the first connection.
 */
final class Warmup {
    private static final int SO_TYPE = 3;
    private static final byte[] REQUEST = ("GET /warmup HTTP/1.1\r\nHost: netra\r\nUser-Agent: netra\r\n\r\n"
            + "POST /warmup HTTP/1.1\r\nHost: netra\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** Counted down once tinylog is configured: logging earlier would fix its default configuration. */
    private final CountDownLatch loggingConfigured = new CountDownLatch(1);

    private Warmup() {
    }

    /**
     * Starts the warm-up on a daemon thread, first thing in {@code main}: linking getsockopt is
     * what the first connection waits for. Nothing it does is visible outside the process.
     */
    static Warmup start() {
        Warmup w = new Warmup();
        Thread.ofPlatform().name("netra-warmup").daemon().start(w::run);
        return w;
    }

    /** Lets the warm-up log its outcome. */
    void loggingConfigured() {
        loggingConfigured.countDown();
    }

    private void run() {
        long t0 = System.nanoTime();
        try {
            // The link before the socket: opening the first channel also sets up NIO (a service
            // lookup over the jar, ~10 ms) that the listener does on the main thread anyway.
            SocketOptions.link();
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.INET6)) {
                SocketOptions.getInt(ch, SocketOptions.SOL_SOCKET, SO_TYPE);
            }
            // a throwaway session with no listeners, decided HTTP/1 as the detect stage would:
            // no metric, span or log line comes from it
            HttpSettings quiet = new HttpSettings(64 * 1024, (head, e, editor) -> { }, e -> { }, (direction, reason) -> { });
            HttpSession session = new HttpSession(0, Direction.OUTBOUND, new InetSocketAddress(0),
                    new InetSocketAddress(0), quiet, false);
            session.decide(dev.netra.sidecar.detect.Protocol.HTTP1);
            WritableByteChannel nowhere = Channels.newChannel(OutputStream.nullOutputStream());
            Forwarder requests = session.requests(nowhere);
            Forwarder responses = session.responses(nowhere);
            requests.forward(ByteBuffer.allocateDirect(REQUEST.length).put(REQUEST).flip());
            responses.forward(ByteBuffer.allocateDirect(RESPONSE.length).put(RESPONSE).flip());
            session.close(Exchange.End.CLIENT_GONE);
            log("warm-up done in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (Exception | LinkageError e) {
            // only time is lost: the first connection pays instead
            log("warm-up skipped: " + e);
        }
    }

    private void log(String outcome) {
        try {
            loggingConfigured.await();
            Logger.debug(outcome);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
