package dev.netra.sidecar.admin;

import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfilingServerTest {
    private ProfilingServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        server = new ProfilingServer(InetAddress.getLoopbackAddress(), 0);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        http.close();
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void profileIsAParseableJfrRecording() throws Exception {
        HttpResponse<byte[]> r = get("/debug/pprof/profile?seconds=1");
        assertEquals(200, r.statusCode());
        Path file = Files.createTempFile("test", ".jfr");
        try {
            Files.write(file, r.body());
            assertTrue(RecordingFile.readAllEvents(file).size() > 0);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void threadDumpListsVirtualConnectionThreads() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread t = Thread.ofVirtual().name("netra-conn-4242").start(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            String dump = new String(get("/debug/pprof/goroutine").body());
            assertTrue(dump.contains("netra-conn-4242"), dump);
        } finally {
            release.countDown();
            t.join();
        }
    }

    @Test
    void heapHistogramAndIndex() throws Exception {
        assertTrue(new String(get("/debug/pprof/heap").body()).contains("java.lang.String"));
        assertTrue(new String(get("/debug/pprof/").body()).contains("/debug/pprof/profile?seconds=N"));
        assertEquals(400, get("/debug/pprof/profile?seconds=9999").statusCode());
    }

    @Test
    void secondsAreBounded() {
        assertEquals(30, ProfilingServer.seconds(null));
        assertEquals(5, ProfilingServer.seconds("seconds=5"));
        assertThrows(IllegalArgumentException.class, () -> ProfilingServer.seconds("seconds=0"));
        assertThrows(IllegalArgumentException.class, () -> ProfilingServer.seconds("seconds=121"));
    }
}
