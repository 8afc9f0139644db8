package dev.netra.bench;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load generator against a loopback server that checks what it is sent. */
class LoadGenTest {
    private ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<String> badRequests = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void serve() throws IOException {
        server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> answer(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void churnOpensAConnectionPerRequestAndTheServerClosesFirst() throws Exception {
        LoadGen gen = new LoadGen(address(), "server:8080", "/", 0, true);
        LoadGen.Result r = gen.closedLoop(2, Duration.ofMillis(500));
        assertEquals(0, r.errors());
        assertTrue(r.requests() > 10, "requests: " + r.requests());
        assertEquals(r.requests(), connections.get(), "one connection per request");
        assertEquals(Set.of(), badRequests);
    }

    @Test
    void keepAlivePostsCarryTheirBodyOnOneConnection() throws Exception {
        LoadGen gen = new LoadGen(address(), "server:8080", "/upload", 3000, false);
        LoadGen.Result r = gen.closedLoop(1, Duration.ofMillis(300));
        assertEquals(0, r.errors());
        assertTrue(r.requests() > 10, "requests: " + r.requests());
        assertEquals(1, connections.get());
        assertEquals(Set.of(), badRequests);
    }

    @Test
    void idleConnectionsStayOpenAfterTheirRequestUntilClosed() throws Exception {
        LoadGen gen = new LoadGen(address(), "server:8080");
        try (LoadGen.IdleConnections idle = gen.idle(5)) {
            assertEquals(0, idle.failed());
            assertEquals(5, connections.get());
        }
        assertEquals(Set.of(), badRequests);
    }

    private InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** Reads requests (head, then Content-Length bytes of 'x'), answers each; honours Connection: close. */
    private void answer(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                int length = 0;
                boolean close = false;
                for (String line : head.split("\r\n")) {
                    String lower = line.toLowerCase();
                    if (lower.startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    } else if (lower.equals("connection: close")) {
                        close = true;
                    }
                }
                byte[] body = in.readNBytes(length);
                String expected = head.startsWith("POST /upload ") ? "x".repeat(3000) : "";
                if (!new String(body, StandardCharsets.US_ASCII).equals(expected)
                        || !(head.startsWith("GET / ") || head.startsWith("POST /upload "))) {
                    badRequests.add(head);
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (close) {
                    return;
                }
            }
        } catch (IOException e) {
            badRequests.add(e.toString());
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() >= 4 && b.lastIndexOf("\r\n\r\n") == b.length() - 4) {
                return b.toString();
            }
        }
        return null;
    }
}
