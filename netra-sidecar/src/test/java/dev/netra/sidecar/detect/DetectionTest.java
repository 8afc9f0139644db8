package dev.netra.sidecar.detect;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The detect stage over real sockets: its verdict, its deadline, and the bytes it keeps for replay. */
class DetectionTest {
    private static final Duration DEADLINE = Duration.ofMillis(200);

    private SocketChannel app;
    private SocketChannel accepted;

    @AfterEach
    void close() throws IOException {
        if (app != null) {
            app.close();
        }
        if (accepted != null) {
            accepted.close();
        }
    }

    /** A connected pair: the test writes to {@code app}, the stage reads {@link #accepted}. */
    private void connect() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            app = SocketChannel.open(server.getLocalAddress());
            accepted = server.accept();
        }
    }

    private void send(String s) throws IOException {
        app.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static String replayed(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRequestLineIsHttp1AndEveryByteReadIsKeptForReplay() throws IOException {
        connect();
        send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.HTTP1, Detection.detect(accepted, into, DEADLINE, false, () -> false));
        assertEquals("GET / HTTP/1.1\r\nHost: a\r\n\r\n", replayed(into));
    }

    @Test
    void bytesThatCannotTellByTheDeadlineAreOpaqueAndKept() throws IOException {
        connect();
        send("GE");
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.OPAQUE, Detection.detect(accepted, into, DEADLINE, false, () -> false));
        assertEquals("GE", replayed(into));
    }

    @Test
    void aMethodCompletedWithinTheDeadlineIsHttp1() throws IOException {
        connect();
        send("PO");
        Thread.ofVirtual().start(() -> {
            try {
                send("ST /x HTTP/1.1\r\n\r\n");
            } catch (IOException ignored) {
                // the assertion sees it
            }
        });
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.HTTP1, Detection.detect(accepted, into, Duration.ofSeconds(5), false, () -> false));
        assertEquals("POST ", replayed(into).substring(0, 5));
    }

    @Test
    void withTheFirstByteTimedASilentClientIsOpaqueWithNothingToReplay() throws IOException {
        connect();
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.OPAQUE, Detection.detect(accepted, into, DEADLINE, true, () -> false));
        assertEquals(0, into.remaining());
    }

    @Test
    void tlsAndTheHttp2PrefaceAreToldApart() throws IOException {
        connect();
        app.write(ByteBuffer.wrap(new byte[] {0x16, 0x03, 0x01, 0x00, 0x05}));
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.TLS, Detection.detect(accepted, into, DEADLINE, false, () -> false));
        close();
        connect();
        send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        into.clear();
        assertEquals(Protocol.HTTP2, Detection.detect(accepted, into, DEADLINE, false, () -> false));
    }

    @Test
    void onceTheOtherSideDecidedReadingStopsAtTheBytesRead() throws IOException {
        connect();
        send("G");
        AtomicBoolean serverSpoke = new AtomicBoolean(true);
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.OPAQUE, Detection.detect(accepted, into, Duration.ofSeconds(30), false, serverSpoke::get));
        assertEquals("G", replayed(into));
    }

    @Test
    void aStreamThatEndsIsOpaqueWithWhatCame() throws IOException {
        connect();
        send("HE");
        app.shutdownOutput();
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.OPAQUE, Detection.detect(accepted, into, Duration.ofSeconds(30), false, () -> false));
        assertEquals("HE", replayed(into));
    }

    @Test
    void awaitingALateClientEndsWhenTheServerSpeaksFirst() throws IOException {
        connect();
        AtomicBoolean serverSpoke = new AtomicBoolean();
        Thread.ofVirtual().start(() -> serverSpoke.set(true));
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertNull(Detection.awaitClient(accepted, into, DEADLINE, serverSpoke::get), "the server spoke: no verdict of the client's");
        assertEquals(0, into.remaining());
    }

    @Test
    void aLateClientIsWaitedForWellPastTheDeadline() throws Exception {
        connect();
        Thread late = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(3 * DEADLINE.toMillis()); // the client's own pace, not a wait for a result
                send("GET /late HTTP/1.1\r\n\r\n");
            } catch (IOException | InterruptedException ignored) {
                // the assertion sees it
            }
        });
        ByteBuffer into = ByteBuffer.allocateDirect(4096);
        assertEquals(Protocol.HTTP1, Detection.awaitClient(accepted, into, DEADLINE, () -> false));
        assertEquals("GET /late HTTP/1.1\r\n\r\n", replayed(into));
        late.join();
    }

    @Test
    void theDetectorTellsByAsFewBytesAsItCan() {
        assertEquals(Protocol.HTTP1, detect("GET "));
        assertEquals(Protocol.HTTP1, detect("M-SEARCH * HTTP/1.1"));
        assertEquals(Protocol.HTTP1, detect("PRI /x HTTP/1.1"), "PRI with another target is a request");
        assertNull(detect("PRI * HTTP/2"), "a preface prefix: more is needed");
        assertEquals(Protocol.OPAQUE, detect("get / HTTP/1.1"), "methods are upper case");
        assertEquals(Protocol.OPAQUE, detect(" GET"));
        assertEquals(Protocol.OPAQUE, detect("\r\nGET / HTTP/1.1"));
        assertEquals(Protocol.OPAQUE, detect("ABCDEFGHIJKLMNOPQRSTU "), "a 21-byte token is no method");
        assertNull(detect("ABCDEFGHIJKLMNOPQRST"));
        assertEquals(Protocol.OPAQUE, detect("\u0016\u0001"));
        assertNull(detect("\u0016"));
        assertNull(detect(""));
    }

    private static Protocol detect(String s) {
        return ProtocolDetector.detect(ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1)));
    }
}
