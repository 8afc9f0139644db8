package dev.netra.sidecar.log;

import dev.netra.sidecar.config.SidecarConfig;
import org.tinylog.configuration.Configuration;

import java.util.Map;

/** The sidecar's log set up once, before its first line: format, destination and level. */
public final class Logging {
    private Logging() {
    }

    /**
     * tinylog at debug behind {@link LogGate} (set to NETRA_LOGGER_LEVEL), written by tinylog's
     * own thread to standard error, as text or (NETRA_LOG_FORMAT=json) one JSON object per line.
     */
    public static void configure(SidecarConfig config) {
        LogGate.set(config.logLevel());
        Map<String, String> writer = config.admin().jsonLog()
                ? Map.of("writer", JsonLogWriter.class.getName(), "writer.service", config.serviceName())
                : Map.of("writer", "console", "writer.stream", "err", "writer.format",
                        "{date:yyyy-MM-dd'T'HH:mm:ss.SSSXXX} {level} netra[" + config.serviceName() + "] {message}");
        Map<String, String> properties = new java.util.HashMap<>(writer);
        properties.putAll(Map.of(
                "provider", GatedLoggingProvider.class.getName(),
                "level", "debug",
                "writingthread", "true",
                "autoshutdown", "false"));
        Configuration.replace(properties);
    }
}
