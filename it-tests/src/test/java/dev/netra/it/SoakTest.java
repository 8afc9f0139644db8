package dev.netra.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Network;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One pod under well-behaved and hostile clients at once, for a bounded minute: keep-alive
 * requests, a new connection per request, bulk echoes, oversized request ids, slowloris heads,
 * and clients giving up on a hung port. The well-behaved ones see no error; afterwards the
 * sidecar's connections, descriptors and threads are back to where they were before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SoakTest {
    private static final Duration LOAD = Duration.ofSeconds(60);
    private Network network;
    private Pod pod;
    private volatile long end;
    private final AtomicLong good = new AtomicLong();
    private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    void start() {
        network = Network.newNetwork();
        pod = Pod.meshed(network, "soak", Map.of("NETRA_HALF_CLOSED_TIMEOUT_SECONDS", "2",
                "NETRA_HTTP_REQUEST_HEAD_TIMEOUT_SECONDS", "2", "NETRA_MAX_CONNECTIONS", "300"),
                "http:8080", "echo:7000", "hang:8090");
    }

    @AfterAll
    void stop() {
        if (pod != null) {
            pod.close();
        }
        if (network != null) {
            network.close();
        }
    }

    private boolean running() {
        return System.nanoTime() < end;
    }

    private Socket connect(int port) throws IOException {
        Socket s = Http.connect(pod.ip(), port, 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    /** One GET on {@code s}; true when 200 with its whole body. */
    private static boolean get(Socket s, InputStream in, String path, String requestId) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: soak\r\nX-Request-Id: " + requestId + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        String head = Http.readHead(in);
        int length = Http.contentLength(head);
        return head.startsWith("HTTP/1.1 200") && in.readNBytes(length).length == length;
    }

    /** A well-behaved client's loop: any failure is an error of the test. */
    private Thread wellBehaved(String name, Step step) {
        return Thread.ofVirtual().name(name).start(() -> {
            int i = 0;
            while (running()) {
                try {
                    if (step.run(i++)) {
                        good.incrementAndGet();
                    } else {
                        errors.add(name + " #" + i + ": wrong answer");
                    }
                } catch (IOException | RuntimeException e) {
                    errors.add(name + " #" + i + ": " + e);
                }
            }
        });
    }

    /** A hostile client's loop: what happens to it is the sidecar's business, not an error. */
    private Thread hostile(String name, Step step) {
        return Thread.ofVirtual().name(name).start(() -> {
            int i = 0;
            while (running()) {
                try {
                    step.run(i++);
                } catch (IOException | RuntimeException e) {
                    // reset or timed out by the sidecar: expected
                }
            }
        });
    }

    interface Step {
        boolean run(int i) throws IOException;
    }

    @Test
    void wellBehavedClientsSeeNoErrorAndNothingLeaks() throws Exception {
        long[] idle = pod.sidecarFdsAndThreads();
        end = System.nanoTime() + LOAD.toNanos();
        List<Thread> clients = new ArrayList<>();
        List<Socket> keepAlive = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int k = 0; k < 4; k++) {
            int worker = k;
            clients.add(wellBehaved("keep-alive-" + k, new Step() {
                Socket s;
                InputStream in;

                @Override
                public boolean run(int i) throws IOException {
                    if (s == null || i % 200 == 0) {
                        if (s != null) {
                            s.close();
                        }
                        s = connect(8080);
                        keepAlive.add(s);
                        in = new BufferedInputStream(s.getInputStream());
                    }
                    return get(s, in, "/ka/" + i, "ka-" + worker + "-" + i);
                }
            }));
        }
        for (int k = 0; k < 2; k++) {
            clients.add(wellBehaved("churn-" + k, i -> {
                try (Socket s = connect(8080)) {
                    return get(s, new BufferedInputStream(s.getInputStream()), "/churn/" + i, "churn-" + i);
                }
            }));
        }
        clients.add(wellBehaved("bulk", i -> {
            byte[] payload = new byte[4 << 20];
            new Random(i).nextBytes(payload);
            try (Socket s = connect(7000)) {
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        s.getOutputStream().write(payload);
                        s.shutdownOutput();
                    } catch (IOException e) {
                        errors.add("bulk writer: " + e);
                    }
                });
                byte[] back = s.getInputStream().readAllBytes();
                writer.join();
                return Arrays.equals(sha(payload), sha(back));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }));
        clients.add(wellBehaved("huge-request-id", i -> {
            try (Socket s = connect(8080)) {
                return get(s, new BufferedInputStream(s.getInputStream()), "/huge/" + i, "h".repeat(60 * 1024) + i);
            }
        }));
        for (int k = 0; k < 3; k++) {
            clients.add(hostile("slowloris-" + k, i -> {
                try (Socket s = connect(8080)) {
                    OutputStream out = s.getOutputStream();
                    out.write("GET /slow HTTP/1.1\r\nHost: soak\r\n".getBytes(StandardCharsets.US_ASCII));
                    while (running()) {
                        out.write("X-Drip: 1\r\n".getBytes(StandardCharsets.US_ASCII)); // until reset
                        sleepQuietly(500);
                    }
                }
                return true;
            }));
        }
        clients.add(hostile("gives-up-on-hung", i -> {
            try (Socket s = connect(8090)) {
                s.setSoTimeout(100);
                s.getOutputStream().write("GET /hung HTTP/1.1\r\nHost: soak\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                try {
                    s.getInputStream().read();
                } catch (SocketTimeoutException expected) {
                    // the caller's own timeout: it closes
                }
            }
            return true;
        }));
        for (Thread t : clients) {
            t.join(Duration.ofSeconds(LOAD.toSeconds() + 60));
            assertTrue(!t.isAlive(), t.getName() + " did not stop");
        }
        for (Socket s : keepAlive) {
            s.close(); // the keep-alive clients' last connections: idle, they would stay for the idle timeout
        }

        assertEquals(List.of(), errors, "well-behaved clients saw errors");
        assertTrue(good.get() > 1000, "requests answered: " + good.get());
        assertTrue(pod.metric("netra_tcp_timeouts_total", "timeout=\"request_head\"") > 0, "slowloris heads were cut");
        assertTrue(pod.metric("netra_tcp_timeouts_total", "timeout=\"half_closed\"") > 0, "abandoned calls were released");
        assertTrue(pod.metric("netra_request_id_store_skipped_total", "store=\"tracing\"") > 0, "huge ids were not stored");

        // Back near idle: the connections closed, and once the sidecar has been idle for its trim
        // period (10 s) it collects, so the heap holds what is live, not the load's garbage.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        double active = -1;
        double heap = -1;
        double max = pod.metric("jvm_memory_max_bytes", "area=\"heap\"");
        long[] after = pod.sidecarFdsAndThreads();
        while (System.nanoTime() < deadline) {
            active = pod.metric("netra_tcp_connections_active");
            after = pod.sidecarFdsAndThreads();
            heap = pod.metric("jvm_memory_used_bytes", "area=\"heap\"");
            if (active == 0 && after[0] <= idle[0] + 4 && after[1] <= idle[1] + 4 && heap < 0.8 * max) {
                break;
            }
            Thread.sleep(500);
        }
        assertEquals(0, active, "connections still open");
        assertTrue(after[0] <= idle[0] + 4, "descriptors " + after[0] + ", idle " + idle[0]);
        assertTrue(after[1] <= idle[1] + 4, "threads " + after[1] + ", idle " + idle[1]);
        assertTrue(heap < 0.8 * max, "heap " + heap + " of " + max);
    }

    private static byte[] sha(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
