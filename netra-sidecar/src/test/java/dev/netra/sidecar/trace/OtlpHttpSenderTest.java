package dev.netra.sidecar.trace;

import dev.netra.sidecar.HttpHeads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OTLP sender against a collector made of a server socket: what it sends, what it makes of answers. */
class OtlpHttpSenderTest {
    /** One request as the collector read it, and the connection it came on. */
    record Received(String head, byte[] body, int connection) {
    }

    private ServerSocket server;
    private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final List<Socket> accepted = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        for (Socket s : accepted) {
            s.close();
        }
    }

    /** A collector that answers the n-th request (from 0) with {@code answer.apply(n)}. */
    private URI collector(Function<Integer, String> answer) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            int n = 0;
            try {
                for (int connection = 0; ; connection++) {
                    Socket s = server.accept();
                    accepted.add(s);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    while (true) {
                        String head = HttpHeads.read(in);
                        if (head == null) {
                            break;
                        }
                        int length = Integer.parseInt(head.replaceAll("(?s).*\r\nContent-Length: ([0-9]+)\r\n.*", "$1"));
                        received.add(new Received(head, in.readNBytes(length), connection));
                        String a = answer.apply(n++);
                        out.write(a.getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        if (a.contains("Connection: close")) {
                            s.close();
                            break;
                        }
                    }
                }
            } catch (IOException ignored) {
                // the test ended
            }
        });
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/traces?tenant=a");
    }

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2\r\n\r\n\u0000\u0000";

    @Test
    void aBatchIsOnePostWithTheHeadersAndReusesTheConnection() throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-api-key", "k1");
        URI uri = collector(n -> n == 1 ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n" : OK);
        try (OtlpHttpSender sender = new OtlpHttpSender(uri, headers, Duration.ofSeconds(5))) {
            byte[] body = "0123456789".getBytes(StandardCharsets.US_ASCII);
            assertEquals(200, sender.post(body, 7));
            assertEquals(200, sender.post(body, 10));
            assertEquals(200, sender.post(body, 1));
        }
        Received first = received.poll(5, TimeUnit.SECONDS);
        assertEquals("POST /v1/traces?tenant=a HTTP/1.1\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\nUser-Agent: netra\r\n"
                + "Content-Type: application/x-protobuf\r\nx-api-key: k1\r\nContent-Length: 7\r\n\r\n", first.head());
        assertArrayEquals("0123456".getBytes(StandardCharsets.US_ASCII), first.body());
        Received second = received.poll(5, TimeUnit.SECONDS);
        Received third = received.poll(5, TimeUnit.SECONDS);
        assertEquals(10, second.body().length);
        assertEquals(1, third.body().length);
        assertEquals(List.of(0, 0, 0), List.of(first.connection(), second.connection(), third.connection()),
                "one kept-alive connection, also after a chunked response");
    }

    @Test
    void aConnectionTheCollectorClosedIsOpenedAgainForTheSameBatch() throws Exception {
        URI uri = collector(n -> n == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" : OK);
        try (OtlpHttpSender sender = new OtlpHttpSender(uri, Map.of(), Duration.ofSeconds(5))) {
            assertEquals(200, sender.post(new byte[3], 3));
            assertEquals(200, sender.post(new byte[4], 4));
        }
        assertEquals(0, received.poll(5, TimeUnit.SECONDS).connection());
        Received again = received.poll(5, TimeUnit.SECONDS);
        assertEquals(1, again.connection());
        assertEquals(4, again.body().length);
    }

    @Test
    void busyCollectorsAreTriedAgainAndOtherErrorsFailTheBatch() throws Exception {
        URI uri = collector(n -> switch (n) {
            case 0 -> "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy";
            case 1 -> OK;
            default -> "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n";
        });
        OtlpSpanExporter exporter = new OtlpSpanExporter(uri, Map.of(), Duration.ofSeconds(5));
        assertTrue(exporter.export(List.of()).isSuccess(), "a 503 then a 200");
        var failed = exporter.export(List.of());
        assertFalse(failed.isSuccess());
        assertTrue(failed.getFailureThrowable().getMessage().contains("answered 400 (attempt 1)"), failed.getFailureThrowable().getMessage());
        assertTrue(exporter.shutdown().isSuccess());
        assertEquals(3, received.size());
    }

    @Test
    void aCollectorThatIsNotHttpOrTooSlowFailsWithinTheTimeout() throws Exception {
        URI uri = collector(n -> n == 0 ? "SSH-2.0-OpenSSH\r\n\r\n" : "");
        try (OtlpHttpSender sender = new OtlpHttpSender(uri, Map.of(), Duration.ofMillis(300))) {
            assertTrue(assertThrows(IOException.class, () -> sender.post(new byte[1], 1)).getMessage()
                    .contains("something else than HTTP/1.x"));
            long start = System.nanoTime();
            assertThrows(IOException.class, () -> sender.post(new byte[1], 1)); // no answer at all
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "bounded by the timeout");
        }
    }

    @Test
    void shutdownEndsAnExportThatWaitsForAHungCollector() throws Exception {
        URI uri = collector(n -> ""); // reads the batch, never answers
        OtlpSpanExporter exporter = new OtlpSpanExporter(uri, Map.of(), Duration.ofSeconds(30));
        var result = new java.util.concurrent.CompletableFuture<io.opentelemetry.sdk.common.CompletableResultCode>();
        Thread.ofVirtual().start(() -> result.complete(exporter.export(List.of())));
        received.poll(5, TimeUnit.SECONDS); // the batch is at the collector
        exporter.shutdown();
        // without the shutdown it would wait 30 s per attempt; with it, the export fails now, and later ones too
        assertFalse(result.get(5, TimeUnit.SECONDS).isSuccess());
        assertFalse(exporter.export(List.of()).isSuccess());
    }

    @Test
    void aHeaderValueWithALineBreakIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new OtlpHttpSender(URI.create("http://127.0.0.1:1/v1/traces"),
                Map.of("x", "a\r\nInjected: yes"), Duration.ofSeconds(1)));
    }
}
