package dev.netra.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenarios of the TCP foundation, with the images users run: pods on one network, some with
 * netra-init and the sidecar in the app's network namespace, some without.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransparentTcpTest {
    private static final String OPENED = "netra_tcp_connections_opened_total";
    private static final String OUTBOUND = "direction=\"outbound\"";
    private static final String INBOUND = "direction=\"inbound\"";

    private Network network;
    /** Plain servers: echo on 8080 and 9090, hash-and-reply on 7000, reset on 7070. */
    private Pod server;
    private Pod server2;
    /** No netra: a client from outside, and the target of inbound scenarios' checks. */
    private Pod outsider;
    /** Meshed with netramesh's defaults: everything intercepted. */
    private Pod app;
    /** Meshed with port lists and exclusions. */
    private Pod narrow;
    /** Meshed with probability 0 both ways. */
    private Pod off;
    private long[] baseline;

    @BeforeAll
    void startPods() {
        network = Network.newNetwork();
        server = Pod.plain(network, "server", "echo:8080", "echo:9090", "hash:7000:20000000", "reset:7070");
        server2 = Pod.plain(network, "server2", "echo:8080");
        outsider = Pod.plain(network, "outsider", "echo:8080");
        app = Pod.meshed(network, "app", Map.of(), "echo:8080", "echo:9090");
        narrow = Pod.meshed(network, "narrow", Map.of(
                "OUTBOUND_INTERCEPT_PORTS", "8080,9090",
                "NETRA_OUTBOUND_EXCLUDE_PORTS", "9090",
                "NETRA_OUTBOUND_EXCLUDE_CIDRS", server2.ip() + "/32",
                "INBOUND_INTERCEPT_PORTS", "8080, 9090",
                "NETRA_INBOUND_EXCLUDE_PORTS", "9090"), "echo:8080", "echo:9090", "echo:7000");
        off = Pod.meshed(network, "off", Map.of(
                "NETRA_INBOUND_PROBABILITY", "0", "NETRA_OUTBOUND_PROBABILITY", "0"), "echo:8080");
        // The sidecar is warm once connections went through it on platform threads and, with more
        // open than NETRA_PLATFORM_THREAD_CONNECTIONS (4), on virtual threads, which start the
        // JDK's poller (its epoll descriptors and threads stay for the process's life).
        assertOk(app.run("echo-client", "server", "8080", "1000000", "12"));
        assertTrue(app.metric("netra_tcp_platform_thread_connections_total") >= 1, "the first connections ran on platform threads");
        awaitPooledThreadsEnded();
        baseline = app.sidecarFdsAndThreads();
    }

    /** Waits for the pooled platform threads, kept 10 s after their last connection, to end. */
    private void awaitPooledThreadsEnded() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (app.sidecarPooledConnectionThreads() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        assertEquals(0, app.sidecarPooledConnectionThreads(), "pooled connection threads end once unused for 10 s");
    }

    @AfterAll
    void stopPods() {
        for (Pod p : new Pod[] {off, narrow, app, outsider, server2, server}) {
            if (p != null) {
                p.close();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    void outboundConnectionsPassThroughTheSidecarAndReachTheOriginalDestination() {
        double before = app.metric(OPENED, OUTBOUND);
        assertOk(app.run("echo-client", "server", "8080", "100000", "3"));
        assertEquals(before + 3, app.metric(OPENED, OUTBOUND), "each connection once, never re-intercepted");
        assertTrue(server.app.getLogs().contains("accepted 8080 from /" + app.ip()), "the server saw the app pod");
        assertEquals(0, app.metric("netra_tcp_connections_rejected_total"), "no loop, no direct connection");
    }

    @Test
    void inboundConnectionsPassThroughTheAppPodsSidecar() {
        double before = app.metric(OPENED, INBOUND);
        assertOk(outsider.run("echo-client", "app", "8080", "100000", "2"));
        assertEquals(before + 2, app.metric(OPENED, INBOUND));
        // The app sees its own sidecar as the peer: the connection really went through it.
        assertTrue(app.app.getLogs().contains("accepted 8080 from /" + app.ip()), app.app.getLogs());
        assertTrue(!app.app.getLogs().contains("accepted 8080 from /" + outsider.ip()));
    }

    @Test
    void localhostTrafficBypassesTheSidecar() {
        double before = app.metric(OPENED);
        assertOk(app.run("echo-client", "127.0.0.1", "8080", "10000", "2"));
        assertEquals(before, app.metric(OPENED));
    }

    @Test
    void interceptPortListsAndExclusionsAreHonoured() {
        double out = narrow.metric(OPENED, OUTBOUND);
        assertOk(narrow.run("echo-client", "server", "8080", "1000", "1"));    // listed
        assertEquals(out + 1, narrow.metric(OPENED, OUTBOUND));
        assertOk(narrow.run("echo-client", "server", "9090", "1000", "1"));    // listed but excluded
        assertOk(narrow.run("hash-client", "server", "7000", "1000", "20000000"));   // not listed
        assertOk(narrow.run("echo-client", "server2", "8080", "1000", "1"));   // CIDR excluded
        assertEquals(out + 1, narrow.metric(OPENED, OUTBOUND));

        double in = narrow.metric(OPENED, INBOUND);
        assertOk(outsider.run("echo-client", "narrow", "8080", "1000", "1"));  // listed
        assertEquals(in + 1, narrow.metric(OPENED, INBOUND));
        assertOk(outsider.run("echo-client", "narrow", "9090", "1000", "1"));  // excluded
        assertOk(outsider.run("echo-client", "narrow", "7000", "1000", "1"));  // not listed
        assertEquals(in + 1, narrow.metric(OPENED, INBOUND));
        assertTrue(narrow.initLog.contains("--dport 8080 -j REDIRECT"), narrow.initLog);
    }

    @Test
    void probabilityZeroBypassesTheSidecarEntirely() {
        assertOk(off.run("echo-client", "server", "8080", "1000", "3"));
        assertOk(outsider.run("echo-client", "off", "8080", "1000", "3"));
        assertEquals(0, off.metric(OPENED));
        assertTrue(off.app.getLogs().contains("accepted 8080 from /" + outsider.ip()));
    }

    @Test
    void largeRandomPayloadsAreByteExactBothWaysAtOnce() {
        double spliced = app.metric("netra_tcp_spliced_flows_total");
        assertOk(app.run("echo-client", "server", "8080", String.valueOf(32 << 20), "2"));
        assertOk(outsider.run("echo-client", "app", "9090", String.valueOf(32 << 20), "1"));
        // the sidecar image, as uid 1337 in a pod, moves these bulk flows by splice(2)
        assertTrue(app.metric("netra_tcp_spliced_flows_total") >= spliced + 2, "bulk flows were spliced");
        assertEquals(0, app.metric("netra_tcp_splice_limit_hits_total"), "every one got a pipe");
    }

    @Test
    void halfCloseTheClientStillReceivesTheFullReply() {
        ExecResult r = app.run("hash-client", "server", "7000", String.valueOf(20 << 20), "20000000");
        assertOk(r);
        assertTrue(r.getStdout().contains("reply=20000000/20000000"), r.getStdout());
    }

    @Test
    void manyConcurrentConnections() {
        double before = app.metric(OPENED, OUTBOUND);
        assertOk(app.run("echo-client", "server", "8080", "65536", "300"));
        assertEquals(before + 300, app.metric(OPENED, OUTBOUND));
    }

    @Test
    void aRefusedDestinationFailsTheAppPromptly() {
        double before = app.metric("netra_tcp_connect_failures_total", OUTBOUND, "reason=\"refused\"");
        ExecResult r = app.run("probe", "server", "9999");
        assertTrue(r.getStdout().startsWith("RESET") || r.getStdout().startsWith("EOF"), r.getStdout());
        assertTrue(millis(r) < 2000, r.getStdout());
        assertEquals(before + 1, app.metric("netra_tcp_connect_failures_total", OUTBOUND, "reason=\"refused\""));
    }

    @Test
    void aDestinationThatResetsMidStreamResetsTheApp() {
        ExecResult r = app.run("probe", "server", "7070");
        assertTrue(r.getStdout().startsWith("RESET"), r.getStdout());
    }

    @Test
    void readinessAndLiveness() {
        assertEquals(200, app.admin("/ready").statusCode());
        assertEquals(200, app.admin("/live").statusCode());
        assertTrue(app.metrics().contains("netra_tcp_connections_active"));
    }

    @Test
    void sigtermLetsOpenConnectionsFinishThenExitsZero() throws Exception {
        Pod pod = Pod.meshed(network, "draining", Map.of("NETRA_SHUTDOWN_GRACE_SECONDS", "20"), "echo:8080");
        try {
            var transfer = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> pod.run("echo-client", "server", "8080", String.valueOf(64 << 20), "1"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (pod.metric("netra_tcp_connections_active", OUTBOUND) < 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            var docker = pod.sidecar.getDockerClient();
            docker.killContainerCmd(pod.sidecar.getContainerId()).withSignal("TERM").exec();
            ExecResult r = transfer.get(60, TimeUnit.SECONDS);
            assertOk(r);
            long exit = -1;
            for (int i = 0; i < 100; i++) {
                var state = docker.inspectContainerCmd(pod.sidecar.getContainerId()).exec().getState();
                if (!Boolean.TRUE.equals(state.getRunning())) {
                    exit = state.getExitCodeLong();
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(0, exit, pod.sidecar.getLogs());
            assertTrue(pod.sidecar.getLogs().contains("SIGTERM"), pod.sidecar.getLogs());
        } finally {
            pod.close();
        }
    }

    @Test
    void theHeapCapLeavesRoomForTheConnectionLimit() throws InterruptedException {
        // A busy HTTP connection holds ~17 KB of heap: the image's launcher caps the heap at
        // 40 MB + 24 KB per NETRA_MAX_CONNECTIONS (default 4096: 136 MB), not at a fixed 64 MB.
        double max = 0;
        for (int i = 0; i < 100 && max == 0; i++) {
            max = app.metric("jvm_memory_max_bytes", "area=\"heap\"");
            if (max == 0) {
                Thread.sleep(100); // JVM metrics register in the background at start-up
            }
        }
        assertTrue(max > 128e6 && max <= 136 * 1024 * 1024, "heap max " + max);
    }

    @Test
    void zzNothingLeaksAfterAllThat() throws InterruptedException {
        // connections, file descriptors and threads come back to where they were
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (app.metric("netra_tcp_connections_active") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, app.metric("netra_tcp_connections_active"));
        awaitPooledThreadsEnded();
        long[] now = app.sidecarFdsAndThreads();
        assertTrue(now[0] <= baseline[0] + 2, "fds: baseline " + baseline[0] + ", now " + now[0]);
        assertTrue(now[1] <= baseline[1] + 4, "threads: baseline " + baseline[1] + ", now " + now[1]);
        System.out.printf("sidecar after the scenarios: fds %d (baseline %d), threads %d (baseline %d), RSS %d KiB%n",
                now[0], baseline[0], now[1], baseline[1], app.sidecarRssKib());
    }

    private static long millis(ExecResult r) {
        String out = r.getStdout();
        int at = out.indexOf("ms=");
        return Long.parseLong(out.substring(at + 3).trim());
    }

    private static void assertOk(ExecResult r) {
        assertEquals(0, r.getExitCode(), "stdout: " + r.getStdout() + "\nstderr: " + r.getStderr());
        assertTrue(r.getStdout().contains("OK"), r.getStdout());
    }
}
