package dev.netra.sidecar.observe;

import dev.netra.sidecar.Direction;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NETRA_ACCESS_LOG: a line per exchange, and an output that stalls never stalls traffic. */
class AccessLogTest {
    @Test
    void oneJsonLinePerExchange() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (AccessLog log = new AccessLog(true, out, new PrometheusRegistry())) {
            Played.play(log, Direction.OUTBOUND, Played.get("/a", "svc", "") + Played.get("/b", "svc", ""),
                    Played.response(200, "x") + Played.response(404, ""));
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, out.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].startsWith("{\"time\":") && lines[0].contains("\"path\":\"/a\"") && lines[0].contains("\"status\":200"));
        assertTrue(lines[1].contains("\"path\":\"/b\"") && lines[1].contains("\"status\":404"));
    }

    @Test
    void aStalledOutputDropsAndCountsInsteadOfBlocking() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        AccessLog log = new AccessLog(false, stalled, new PrometheusRegistry());
        // returns: nothing waits on the output
        Played.play(log, Direction.INBOUND, AccessLog.QUEUE + 200, Played.get("/", "svc", ""), Played.response(200, ""));
        assertTrue(log.dropped() >= 200 - 64, "dropped and counted: " + log.dropped());
        release.countDown();
        log.close();
    }
}
