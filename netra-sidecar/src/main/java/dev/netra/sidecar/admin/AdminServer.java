package dev.netra.sidecar.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.tinylog.Logger;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The operator's port (NETRA_PROMETHEUS_PORT): /metrics, /ready and /live. It listens on every
 * interface (Prometheus scrapes it from outside the pod), so it holds at most
 * {@value #MAX_CONNECTIONS} connections (more are closed at once) and gives a request
 * {@value #MAX_REQUEST_SECONDS} s to arrive: idle or trickling clients cannot pile up descriptors.
 */
public final class AdminServer implements AutoCloseable {
    static final int MAX_CONNECTIONS = 64;
    static final int MAX_REQUEST_SECONDS = 5;
    /** A profile takes up to 120 s to record before its response starts. */
    static final int MAX_RESPONSE_SECONDS = 150;

    /**
     * The JDK's HTTP server reads these once, for every server in the process (this one and the
     * profiling one): they must be set before the first is made.
     */
    static void limits() {
        System.setProperty("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
        System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        System.setProperty("sun.net.httpserver.maxRspTime", Integer.toString(MAX_RESPONSE_SECONDS));
        System.setProperty("sun.net.httpserver.maxIdleConnections", "16");
        System.setProperty("sun.net.httpserver.idleInterval", "30");
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param ready what /ready reports: accepting connections, with tracing up
     * @param live  what /live reports: false once the sidecar cannot take connections any more
     */
    public AdminServer(int port, PrometheusRegistry registry, BooleanSupplier ready, BooleanSupplier live) throws IOException {
        limits();
        server = HttpServer.create(new InetSocketAddress(port), 64);
        server.createContext("/metrics", new MetricsHandler(registry));
        server.createContext("/ready", ex -> {
            boolean ok = ready.getAsBoolean();
            respond(ex, ok ? 200 : 503, ok ? "ready\n" : "not ready\n");
        });
        server.createContext("/live", ex -> {
            boolean ok = live.getAsBoolean();
            respond(ex, ok ? 200 : 503, ok ? "live\n" : "not live: the listener failed (see the log)\n");
        });
        server.createContext("/", ex -> respond(ex, 404, "netra admin: /metrics /ready /live\n"));
        server.setExecutor(executor);
    }

    public void start() {
        server.start();
        Logger.info("admin endpoints /metrics /ready /live on {}", server.getAddress());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
