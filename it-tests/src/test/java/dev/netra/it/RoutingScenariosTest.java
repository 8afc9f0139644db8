package dev.netra.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Header and cookie routing with pods app (netra, routing on), svc (v1) and svc-v2: the app
 * calls "svc", and the routing value decides which version answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutingScenariosTest {
    private Network network;
    private Pod svc;
    private Pod svcV2;
    private Pod app;
    private Pod guarded;
    private Pod strict;
    private Pod client;

    @BeforeAll
    void startPods() {
        network = Network.newNetwork();
        svc = Pod.plain(network, "svc", "http:8080:v1");
        svcV2 = Pod.plain(network, "svc-v2", "http:8080:v2");
        // the test network's clients stand in for a trusted gateway
        Map<String, String> routing = Map.of("NETRA_HTTP_ROUTING_ENABLED", "true", "NETRA_HTTP_ROUTING_COOKIE_ENABLED", "true",
                "NETRA_HTTP_PORTS", "8080", "NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "svc,svc-v2",
                "NETRA_HTTP_ROUTING_TRUSTED_SOURCES", "0.0.0.0/0");
        app = Pod.meshed(network, "app", routing, "relay:8080:svc:8080");
        guarded = Pod.meshed(network, "guarded", Map.of("NETRA_HTTP_ROUTING_ENABLED", "true", "NETRA_HTTP_PORTS", "8080",
                "NETRA_HTTP_ROUTING_ALLOWED_TARGETS", ".staging.svc.cluster.local,svc-v2"), "echo:9");
        // every target allowed, no source trusted: what an outsider's headers can still do
        strict = Pod.meshed(network, "strict", Map.of("NETRA_HTTP_ROUTING_ENABLED", "true", "NETRA_HTTP_PORTS", "8080",
                "NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "*"), "relay:8080:svc:8080");
        client = Pod.plain(network, "client", "echo:9");
    }

    @AfterAll
    void stopPods() {
        for (Pod p : new Pod[] {client, strict, guarded, app, svcV2, svc}) {
            if (p != null) {
                p.close();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    private static String body(ExecResult r) {
        assertEquals(0, r.getExitCode(), r.getStdout() + r.getStderr());
        String out = r.getStdout();
        return out.substring(out.indexOf("body=[") + 6, out.indexOf("]", out.indexOf("body=[")));
    }

    @Test
    void headerRouting() {
        assertEquals("v2 /h", body(app.run("http-load", "svc", "8080", "/h", "1", "X-Route: svc=svc-v2")));
        assertEquals("v1 /none", body(app.run("http-load", "svc", "8080", "/none", "1")));
    }

    @Test
    void cookieRoutingAndItsPriority() {
        assertEquals("v2 /c", body(app.run("http-load", "svc", "8080", "/c", "1", "Cookie: theme=dark; X-Route=svc=svc-v2")));
        assertEquals("v1 /prio", body(app.run("http-load", "svc", "8080", "/prio", "1",
                "X-Route: svc=svc-v2\\nCookie: X-Route=other=svc-v2")), "the cookie wins over the header");
    }

    @Test
    void selfMapIsSkipped() {
        assertEquals("v1 /self", body(app.run("http-load", "svc", "8080", "/self", "1", "X-Route: svc=svc")));
    }

    @Test
    void routingContextFollowsTheRequestIdAndInboundIsNeverRerouted() {
        // client -> app (inbound: never re-routed; its value remembered) -> app's relay calls svc with the
        // request id only -> app's outbound sidecar adds the routing header and routes to v2
        ExecResult r = client.run("http-load", "app", "8080", "/chain/rid/ctx", "1",
                "X-Request-Id: ctx-1\\nX-Route: app=svc-v2,svc=svc-v2");
        assertTrue(body(r).startsWith("relayed 200"), r.getStdout());
        assertTrue(svcV2.app.getLogs().contains("request v2 GET /chain/rid/ctx"), svcV2.app.getLogs());
        assertTrue(!svc.app.getLogs().contains("GET /chain/rid/ctx"));
    }

    @Test
    void anOutsidersRoutingValueDoesNotSteerTheAppsCalls() {
        ExecResult r = client.run("http-load", "strict", "8080", "/chain/rid/steal", "1",
                "X-Request-Id: steal-1\\nX-Route: svc=svc-v2");
        assertTrue(body(r).startsWith("relayed 200"), r.getStdout());
        assertTrue(svc.app.getLogs().contains("GET /chain/rid/steal"), "the app's call went where the app sent it");
        assertTrue(!svcV2.app.getLogs().contains("/chain/rid/steal"), svcV2.app.getLogs());
        assertEquals(1, strict.metric("netra_routing_requests_total", "result=\"untrusted_source\""));
    }

    @Test
    void aRouteToTheSidecarsOwnPortIsNotFollowed() {
        assertEquals("v1 /own", body(strict.run("http-load", "svc", "8080", "/own", "1", "X-Route: svc=127.0.0.1:14958")));
        assertTrue(strict.metric("netra_routing_requests_total", "result=\"not_allowed\"") >= 1);
    }

    @Test
    void theAllowlistIgnoresOtherTargets() {
        assertEquals("v1 /deny", body(guarded.run("http-load", "svc", "8080", "/deny", "1", "X-Route: svc=client")));
        assertEquals("v2 /allow", body(guarded.run("http-load", "svc", "8080", "/allow", "1", "X-Route: svc=svc-v2")));
        assertEquals(1, guarded.metric("netra_routing_requests_total", "result=\"not_allowed\""));
    }

    @Test
    void anUnreachableTargetGets502() {
        ExecResult r = app.run("http-load", "svc", "8080", "/gone", "1", "X-Route: svc=svc-v2:9");
        assertTrue(r.getStdout().contains("statuses={502=1}"), r.getStdout());
        assertTrue(body(r).contains("svc-v2") || body(r).contains(":9"), r.getStdout());
        assertTrue(app.metric("netra_routing_requests_total", "result=\"dial_failed\"") >= 1);
    }

    @Test
    void pipelinedRequestsToTwoTargetsComeBackInOrder() {
        ExecResult r = app.run("http-pipeline", "svc", "8080", "X-Route: svc=svc-v2", "", "X-Route: svc=svc-v2", "");
        assertEquals(0, r.getExitCode(), r.getStdout() + r.getStderr());
        assertTrue(r.getStdout().contains("[200 v2 /pipelined/0, 200 v1 /pipelined/1, 200 v2 /pipelined/2, 200 v1 /pipelined/3]"),
                r.getStdout());
    }

    @Test
    void upstreamConnectionsAreReused() {
        long before = accepted(svc);
        assertTrue(body(app.run("http-load", "svc", "8080", "/reuse", "20")).startsWith("v1"));
        assertEquals(before + 1, accepted(svc), "20 requests of one client connection on one upstream connection");
    }

    /** Connections the server accepted, once its log has caught up (two equal reads 300 ms apart). */
    private static long accepted(Pod p) {
        long last = -1;
        for (int i = 0; i < 20; i++) {
            long n = p.app.getLogs().lines().filter(l -> l.startsWith("accepted 8080")).count();
            if (n == last) {
                return n;
            }
            last = n;
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return n;
            }
        }
        return last;
    }
}
