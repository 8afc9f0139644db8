package dev.netra.it;

import dev.netra.testapp.Corpus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transparency suite: every corpus conversation is played once directly (pod to pod) and
 * once through two sidecars (the client pod's outbound, the server pod's inbound). The client
 * must receive identical bytes; the server too, except the header lines netra adds on purpose.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpTransparencyTest {
    private static final int BASE = 20000;
    /** netra's documented edits: a request id where there is none, X-Source on outbound requests, trace context. */
    private static final Pattern ADDED = Pattern.compile("X-Request-Id: [0-9a-f-]{36}\r\n|X-Source: netra\r\n"
            + "|traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\r\n|uber-trace-id: [0-9a-f]{1,32}:[0-9a-f]{1,16}:[0-9a-f]{1,16}:[0-9a-f]{1,2}\r\n");

    private Network network;
    private Pod directServer;
    private Pod meshServer;
    private Pod plainClient;
    private Pod meshClient;

    @BeforeAll
    void startPods() {
        network = Network.newNetwork();
        directServer = Pod.plain(network, "direct-server", "corpus-server:" + BASE);
        meshServer = Pod.meshed(network, "mesh-server", Map.of(), "corpus-server:" + BASE);
        plainClient = Pod.plain(network, "plain-client", "echo:8080");
        meshClient = Pod.meshed(network, "mesh-client", Map.of(), "echo:8080");
    }

    @AfterAll
    void stopPods() {
        for (Pod p : new Pod[] {meshClient, plainClient, meshServer, directServer}) {
            if (p != null) {
                p.close();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    void everyConversationLooksTheSameWithAndWithoutNetra() {
        Map<String, byte[]> directGot = lines(plainClient.run("corpus-client", "direct-server", String.valueOf(BASE)), "GOT");
        Map<String, byte[]> meshGot = lines(meshClient.run("corpus-client", "mesh-server", String.valueOf(BASE)), "GOT");
        Map<String, byte[]> directReceived = lines(directServer.app.getLogs(), "RECEIVED");
        Map<String, byte[]> meshReceived = lines(meshServer.app.getLogs(), "RECEIVED");

        for (Corpus c : Corpus.cases()) {
            assertArrayEquals(c.server(), directGot.get(c.name()), c.name() + ": direct, client side");
            assertArrayEquals(c.server(), meshGot.get(c.name()), c.name() + ": through netra, client side");
            assertArrayEquals(c.client(), directReceived.get(c.name()), c.name() + ": direct, server side");
            String received = new String(meshReceived.get(c.name()), StandardCharsets.ISO_8859_1);
            String original = new String(c.client(), StandardCharsets.ISO_8859_1);
            if (c.parsed()) {
                Matcher m = ADDED.matcher(received);
                int added = 0;
                while (m.find()) {
                    added++;
                }
                assertTrue(added > 0, c.name() + ": netra's edits are there");
                assertEquals(original, ADDED.matcher(received).replaceAll(""),
                        c.name() + ": through netra, server side, apart from netra's added lines");
            } else {
                assertEquals(original, received, c.name() + ": not parsed, so untouched");
            }
        }
        assertTrue(meshClient.metric("netra_http_fallbacks_total", "direction=\"outbound\"") >= 3,
                meshClient.metrics());
        assertTrue(meshServer.metric("netra_http_exchanges_total", "direction=\"inbound\"", "end=\"complete\"") >= 60,
                meshServer.metrics());
        // every body byte is counted, also those of the long bodies that went by splice
        assertTrue(meshServer.metric("netra_http_request_body_bytes_sum", "direction=\"inbound\"") >= (2 << 20) + (1 << 20),
                meshServer.metrics());
        assertTrue(meshClient.metric("netra_http_response_body_bytes_sum", "direction=\"outbound\"") >= (2 << 20) + (1 << 20),
                meshClient.metrics());
    }

    /** "KEY name base64" lines of a testapp's output, by name. */
    private static Map<String, byte[]> lines(ExecResult r, String key) {
        assertEquals(0, r.getExitCode(), r.getStderr());
        return lines(r.getStdout(), key);
    }

    private static Map<String, byte[]> lines(String out, String key) {
        Map<String, byte[]> byName = new HashMap<>();
        for (String line : out.split("\n")) {
            List<String> parts = List.of(line.trim().split(" "));
            if (parts.size() >= 2 && parts.getFirst().equals(key)) {
                byName.put(parts.get(1), parts.size() > 2 ? Base64.getDecoder().decode(parts.get(2)) : new byte[0]);
            }
        }
        return byName;
    }
}
