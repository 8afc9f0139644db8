package dev.netra.sidecar.log;

import dev.netra.sidecar.observe.TapClient;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code bin/netra log-level [LEVEL [--seconds N]] [--host H] [--port P]}: tells or changes a running
 * sidecar's log level through its profiling port's {@code /log-level} (loopback: run it in the pod).
 */
public final class LogLevelClient {
    private static final String USAGE = """
            usage: netra log-level [debug|info|warning|error|fatal [--seconds N]] [--host H] [--port P]
            Without a level: the level a sidecar writes lines at now. With one: that level, for N seconds
            and then back, or until changed again. Talks to the profiling port (default 127.0.0.1:14957).
            """;

    private LogLevelClient() {
    }

    public static void main(String[] args) throws InterruptedException {
        String host = "127.0.0.1";
        int port = 14957;
        String level = null;
        String seconds = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--host" -> host = args[++i];
                    case "--port" -> port = Integer.parseInt(args[++i]);
                    case "--seconds" -> seconds = args[++i];
                    default -> {
                        if (args[i].startsWith("-") || level != null) {
                            throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                        }
                        level = args[i];
                    }
                }
            }
        } catch (RuntimeException e) {
            System.err.print("netra log-level: " + e.getMessage() + "\n" + USAGE);
            System.exit(64);
            return;
        }
        String query = level == null ? "" : "?level=" + URLEncoder.encode(level, StandardCharsets.UTF_8)
                + (seconds == null ? "" : "&seconds=" + URLEncoder.encode(seconds, StandardCharsets.UTF_8));
        URI uri = TapClient.profilingPort(host, port, "/log-level" + query);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        request = level == null ? request.GET() : request.POST(HttpRequest.BodyPublishers.noBody());
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            (r.statusCode() == 200 ? System.out : System.err).print(r.body());
            System.exit(r.statusCode() == 200 ? 0 : 1);
        } catch (IOException e) {
            System.err.println("netra log-level: " + TapClient.unreachable(uri, e));
            System.exit(1);
        }
    }
}
