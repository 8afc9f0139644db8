package dev.netra.sidecar.admin;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminServerTest {
    private static String get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** Whether the server closed the connection (read -1 or reset) within the socket's timeout. */
    private static boolean closedByServer(Socket s) {
        try {
            InputStream in = s.getInputStream();
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void liveFollowsTheListenerAndReadyItsOwnCheck() throws Exception {
        AtomicBoolean live = new AtomicBoolean(true);
        AdminServer admin = new AdminServer(0, new PrometheusRegistry(), () -> false, live::get);
        admin.start();
        try {
            assertTrue(get(admin.port(), "/live").startsWith("HTTP/1.1 200"));
            assertTrue(get(admin.port(), "/ready").startsWith("HTTP/1.1 503"));
            live.set(false);
            assertTrue(get(admin.port(), "/live").startsWith("HTTP/1.1 503"));
        } finally {
            admin.close();
        }
    }

    @Test
    void idleConnectionsAreBoundedAndDroppedAndProbesAnswerAfterwards() throws Exception {
        AdminServer admin = new AdminServer(0, new PrometheusRegistry(), () -> true, () -> true);
        admin.start();
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", admin.port()), 2000);
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)); // and never more
                s.setSoTimeout(200);
                idle.add(s);
            }
            // Over the limit: closed at once. The rest: closed once their request took too long.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(AdminServer.MAX_REQUEST_SECONDS + 10);
            int closed = 0;
            List<Socket> open = new ArrayList<>(idle);
            while (!open.isEmpty() && System.nanoTime() < deadline) {
                open.removeIf(AdminServerTest::closedByServer);
                closed = idle.size() - open.size();
            }
            assertEquals(200, closed, "every idle connection was dropped by the server");
            assertTrue(get(admin.port(), "/live").startsWith("HTTP/1.1 200"), "a probe answers after the abuse");
        } finally {
            for (Socket s : idle) {
                s.close();
            }
            admin.close();
        }
    }
}
