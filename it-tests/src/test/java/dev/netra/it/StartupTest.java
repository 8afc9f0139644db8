package dev.netra.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sidecar starting without an AOT cache (as on any host outside the images), with clients
 * already knocking: the requests that get through from its first accepted connection on, in and
 * out, each have a span at the collector, and none is dropped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StartupTest {
    private static final int QUERY = 4318;
    private static final int CONNECTIONS = 4;
    private static final int REQUESTS_PER_CONNECTION = 5;
    private Network network;
    private Pod collector;
    private Pod peer;
    private Pod fresh;

    @BeforeAll
    void startPods() {
        network = Network.newNetwork();
        collector = Pod.plainPublishing(network, "collector", QUERY, "collector:4318:6831");
        peer = Pod.plain(network, "peer", "http:8080");
    }

    @AfterAll
    void stopPods() {
        for (Pod p : new Pod[] {fresh, peer, collector}) {
            if (p != null) {
                p.close();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    void everyExchangeFromTheFirstAcceptedConnectionHasItsSpan() throws Exception {
        Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "NETRA_AOT_CACHE", "off");
        fresh = Pod.initialized(network, "fresh", env, "relay:8080:peer:8080");
        String ip = fresh.ip();
        // Clients knock before the sidecar exists: each connects as soon as the listener accepts.
        List<CompletableFuture<Integer>> clients = new java.util.ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            String rid = "startup-" + i;
            clients.add(CompletableFuture.supplyAsync(() -> requestsOnceAccepted(ip, rid)));
        }
        fresh.startSidecar(env, Wait.forLogMessage(".*listening for intercepted connections.*", 1));
        int answered = 0;
        for (CompletableFuture<Integer> c : clients) {
            answered += c.get(60, TimeUnit.SECONDS);
        }
        assertEquals(CONNECTIONS * REQUESTS_PER_CONNECTION, answered, "every request was answered through the sidecar");

        // each answered request is one inbound and one outbound exchange of the fresh pod
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long spans = 0;
        while (System.nanoTime() < deadline && (spans = spansOf("fresh")) < 2L * answered) {
            Thread.sleep(200);
        }
        assertEquals(2L * answered, spans, "a span for every exchange, in and out");
        assertEquals(2.0 * answered, fresh.metric("netra_http_requests_total"), "exchanges counted");
        assertEquals(0.0, fresh.metric("netra_spans_dropped_total"), fresh.metrics());
        String log = fresh.sidecar.getLogs();
        assertTrue(log.indexOf("listening for intercepted connections") < log.indexOf("tracing and JVM metrics up"),
                "tracing came up after the listener accepted: " + log);
    }

    /** Connects (retrying while refused, at most 60 s), then sends keep-alive requests; returns how many got a 200. */
    private static int requestsOnceAccepted(String ip, String requestId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = Http.connect(ip, 8080, 5000)) {
                s.setSoTimeout(20_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                int ok = 0;
                for (int i = 0; i < REQUESTS_PER_CONNECTION; i++) {
                    out.write(("GET /startup/" + i + " HTTP/1.1\r\nHost: fresh:8080\r\nX-Request-Id: " + requestId
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String head = Http.readHead(in);
                    long length = Http.contentLength(head);
                    in.readNBytes((int) length);
                    ok += head.startsWith("HTTP/1.1 200") ? 1 : 0;
                }
                return ok;
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the sidecar never accepted", e);
                }
                try {
                    Thread.sleep(5); // refused: the sidecar's listener is not bound yet
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private long spansOf(String service) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://" + collector.app.getHost() + ":"
                    + collector.app.getMappedPort(QUERY) + "/spans")).build(), HttpResponse.BodyHandlers.ofString()).body();
            return dev.netra.testapp.TraceTree.parse(body).stream().filter(s -> service.equals(s.get("service"))).count();
        }
    }
}
