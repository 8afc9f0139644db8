package dev.netra.it;

import com.github.dockerjava.api.model.Ulimit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults that used to hang or stop a pod's traffic: clients giving up on a hung app, and a
 * sidecar out of file descriptors. Each pod's app hangs on 8080 (accepts, never answers, never
 * closes) and answers HTTP on 8081; the 8081 request is what must keep working.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HardeningTest {
    private Network network;
    private final List<Pod> pods = new ArrayList<>();

    @BeforeAll
    void network() {
        network = Network.newNetwork();
    }

    @AfterAll
    void stop() {
        pods.forEach(Pod::close);
        if (network != null) {
            network.close();
        }
    }

    private Pod pod(String name, Map<String, String> env, long maxFds) {
        Pod pod = Pod.initialized(network, name, env, "hang:8080", "http:8081");
        pods.add(pod);
        pod.startSidecar(env, Wait.forLogMessage(".*tracing and JVM metrics up.*", 1), cmd -> {
            if (maxFds > 0) {
                cmd.getHostConfig().withUlimits(new Ulimit[] {new Ulimit("nofile", maxFds, maxFds)});
            }
        });
        return pod;
    }

    /** A request to the pod's 8081 through its sidecar; the status line, or what went wrong. */
    private static String http(Pod pod, int timeoutMillis) {
        try (Socket s = Http.connect(pod.ip(), 8081, timeoutMillis)) {
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write("GET /ok HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            StringBuilder line = new StringBuilder(); // the status line is enough: the server may keep the connection
            InputStream in = s.getInputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\r') {
                line.append((char) c);
            }
            return line.isEmpty() ? "closed without a response" : line.toString();
        } catch (SocketTimeoutException e) {
            return "timed out after " + timeoutMillis + " ms";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Like an app with a 200 ms timeout calling the hung port: connect, send, wait, give up and close. */
    private static void giveUpOnTheHungPort(Pod pod) throws IOException {
        try (Socket s = Http.connect(pod.ip(), 8080, 5000)) {
            s.setSoTimeout(200);
            s.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: pod\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            try {
                in.read();
            } catch (SocketTimeoutException expected) {
                // the app's own timeout: it closes the connection
            }
        }
    }

    private static void awaitMetric(Pod pod, String name, String label, double atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double v = 0;
        while (System.nanoTime() < deadline && (v = pod.metric(name, label)) < atLeast) {
            Thread.sleep(200);
        }
        assertTrue(v >= atLeast, name + "{" + label + "} = " + v + ", expected at least " + atLeast);
    }

    @Test
    void clientsGivingUpOnAHungAppNeverUseUpTheSidecar() throws Exception {
        Pod pod = pod("hung", Map.of("NETRA_MAX_CONNECTIONS", "20", "NETRA_HALF_CLOSED_TIMEOUT_SECONDS", "2"), 0);
        for (int i = 0; i < 60; i++) { // three times the connection limit
            giveUpOnTheHungPort(pod);
        }
        assertEquals("HTTP/1.1 200 X", http(pod, 20_000), "a request after 60 abandoned calls");
        awaitMetric(pod, "netra_tcp_timeouts_total", "timeout=\"half_closed\"", 40);
        awaitMetric(pod, "netra_tcp_connections_closed_total", "direction=\"inbound\"", 61);
    }

    @Test
    void runningOutOfFileDescriptorsDoesNotStopTheListener() throws Exception {
        Pod pod = pod("tight", Map.of("NETRA_HALF_CLOSED_TIMEOUT_SECONDS", "2"), 256);
        assertEquals("HTTP/1.1 200 X", http(pod, 10_000));
        long fdsBefore = pod.sidecarFdsAndThreads()[0];
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) { // two descriptors each in the sidecar: past its limit of 256
                held.add(Http.connect(pod.ip(), 8080, 5000));
            }
            // (the admin port cannot accept either while no descriptor is left: metrics are read after)
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        // the held connections are released (the hung app keeps its side open: the half-closed timeout)
        // The backlog drains first: until the half-closed timeout frees what those connections
        // hold, a new one may find no descriptor for its upstream and be reset (counted). It is
        // answered once there are descriptors again.
        String answer = "";
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < until && !(answer = http(pod, 10_000)).equals("HTTP/1.1 200 X")) {
            Thread.sleep(200);
        }
        assertEquals("HTTP/1.1 200 X", answer, "the listener took connections again");
        assertEquals(200, pod.admin("/live").statusCode());
        double accepts = pod.metric("netra_tcp_accept_errors_total", "reason=\"emfile\"");
        double upstreams = pod.metric("netra_tcp_connect_failures_total", "reason=\"no_descriptors\"");
        assertTrue(accepts + upstreams > 0, "running out was counted: accepts " + accepts + ", upstream sockets " + upstreams);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long fds = Long.MAX_VALUE;
        while (System.nanoTime() < deadline && (fds = pod.sidecarFdsAndThreads()[0]) > fdsBefore + 4) {
            Thread.sleep(200);
        }
        assertTrue(fds <= fdsBefore + 4, "descriptors back to " + fds + " from " + fdsBefore);
    }
}
