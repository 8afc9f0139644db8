package dev.netra.sidecar.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.netra.sidecar.config.ConfigException;
import dev.netra.sidecar.config.LogLevel;
import dev.netra.sidecar.log.LogGate;
import org.tinylog.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * {@code /log-level}: GET tells the level lines are written at; {@code POST ?level=debug} changes
 * it, for good or, with {@code &seconds=N}, for N seconds ({@value #MAX_SECONDS} at most) and then
 * back. Only from loopback (in the pod, {@code kubectl exec} or {@code kubectl port-forward}),
 * even when NETRA_PPROF_BIND exposes the port.
 */
final class LogLevelEndpoint implements HttpHandler {
    static final int MAX_SECONDS = 86_400;

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        if (method.equals("GET")) {
            ProfilingServer.respond(ex, 200, LogGate.level().label() + "\n");
            return;
        }
        if (!method.equals("POST") && !method.equals("PUT")) {
            ex.getResponseHeaders().set("Allow", "GET, POST, PUT");
            ProfilingServer.respond(ex, 405, "GET tells the level, POST ?level=L[&seconds=N] changes it\n");
            return;
        }
        if (!ex.getRemoteAddress().getAddress().isLoopbackAddress()) {
            ProfilingServer.respond(ex, 403, "the log level changes from loopback only (kubectl exec or port-forward)\n");
            return;
        }
        LogLevel level;
        int seconds;
        try {
            Map<String, String> q = Query.parse(ex.getRequestURI().getRawQuery());
            String name = q.get("level");
            if (name == null) {
                throw new IllegalArgumentException("level is missing: debug, info, warning, error or fatal");
            }
            level = LogLevel.parse("level", name);
            seconds = Query.bounded(q, "seconds", 0, 1, MAX_SECONDS);
        } catch (IllegalArgumentException | ConfigException e) {
            ProfilingServer.respond(ex, 400, e.getMessage() + "\n");
            return;
        }
        LogLevel before = LogGate.level();
        String answer;
        if (seconds == 0) {
            LogGate.set(level);
            answer = "log level " + level.label() + " (was " + before.label() + ")";
        } else {
            LogGate.set(level, Duration.ofSeconds(seconds));
            answer = "log level " + level.label() + " for " + seconds + " s, then " + before.label();
        }
        Logger.info("{}, set by {}", answer, ex.getRemoteAddress());
        ProfilingServer.respond(ex, 200, answer + "\n");
    }
}
