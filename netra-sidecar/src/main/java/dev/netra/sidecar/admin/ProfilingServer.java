package dev.netra.sidecar.admin;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.tinylog.Logger;

import javax.management.ObjectName;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The JVM's answers to netramesh's pprof endpoints (NETRA_PPROF_PORT), on 127.0.0.1 unless
 * NETRA_PPROF_BIND says otherwise: a JFR recording, a thread dump with virtual threads, a heap
 * histogram. One profile at a time, at most {@value #MAX_SECONDS} seconds. The live tap
 * ({@code /tap}) is here too: it shows who calls whom, so it is as private as profiling; and so is
 * the log level ({@code /log-level}), changed from loopback only.
 */
public final class ProfilingServer implements AutoCloseable {
    static final int MAX_SECONDS = 120;
    private static final String INDEX = """
            netra profiling
              /debug/pprof/profile?seconds=N   CPU and allocation profile: a JFR recording of N seconds (default 30, max 120)
              /debug/pprof/goroutine           all threads, virtual threads included (text)
              /debug/pprof/heap                heap histogram by class (text)
              /tap?direction=&authority=&path=&status=&rate=&seconds=
                                               the exchanges seen now, as JSON lines (bin/netra tap)
              /log-level                       GET: the level; POST ?level=debug&seconds=N: another, for N s or for good
                                               (from loopback only; bin/netra log-level)
            """;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean profiling = new AtomicBoolean();

    public ProfilingServer(InetAddress bind, int port) throws IOException {
        this(bind, port, null);
    }

    /** With the live tap at /tap when {@code tap} is not null. */
    public ProfilingServer(InetAddress bind, int port, dev.netra.sidecar.observe.Tap tap) throws IOException {
        AdminServer.limits();
        server = HttpServer.create(new InetSocketAddress(bind, port), 16);
        server.createContext("/debug/pprof/profile", this::profile);
        server.createContext("/debug/pprof/goroutine", this::threads);
        server.createContext("/debug/pprof/heap", this::heap);
        if (tap != null) {
            server.createContext("/tap", new TapEndpoint(tap));
        }
        server.createContext("/log-level", new LogLevelEndpoint());
        server.createContext("/", ex -> respond(ex, ex.getRequestURI().getPath().matches("/(debug/pprof/?)?") ? 200 : 404,
                INDEX));
        server.setExecutor(executor);
    }

    public void start() {
        server.start();
        Logger.info("profiling endpoints /debug/pprof/ on {}", server.getAddress());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void profile(HttpExchange ex) throws IOException {
        int seconds;
        try {
            seconds = seconds(ex.getRequestURI().getQuery());
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage() + "\n");
            return;
        }
        if (!profiling.compareAndSet(false, true)) {
            respond(ex, 409, "a profile is being recorded already; one at a time\n");
            return;
        }
        Path file = null;
        try (Recording recording = new Recording(Configuration.getConfiguration("profile"))) {
            recording.setName("netra-pprof");
            recording.start();
            Thread.sleep(Duration.ofSeconds(seconds));
            recording.stop();
            file = Files.createTempFile("netra-profile", ".jfr");
            recording.dump(file);
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"netra-profile.jfr\"");
            ex.sendResponseHeaders(200, Files.size(file));
            try (OutputStream out = ex.getResponseBody()) {
                Files.copy(file, out);
            }
        } catch (ParseException | RuntimeException e) {
            Logger.warn("profile failed: {}", e.toString());
            respond(ex, 500, "profile failed: " + e + "\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(ex, 503, "interrupted\n");
        } finally {
            profiling.set(false);
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    static int seconds(String query) {
        return Query.bounded(Query.parse(query), "seconds", 30, 1, MAX_SECONDS);
    }

    private void threads(HttpExchange ex) throws IOException {
        Path dir = Files.createTempDirectory("netra-threads");
        Path file = dir.resolve("threads.txt");
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            respond(ex, 200, Files.readString(file));
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    private void heap(HttpExchange ex) throws IOException {
        try {
            Object histogram = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            respond(ex, 200, String.valueOf(histogram));
        } catch (javax.management.JMException e) {
            respond(ex, 500, "heap histogram failed: " + e + "\n");
        }
    }

    static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
