package dev.netra.sidecar.config;

import org.tinylog.Level;

import java.util.Locale;

/** netramesh's NETRA_LOGGER_LEVEL values, mapped onto tinylog's levels. */
public enum LogLevel {
    DEBUG(Level.DEBUG), INFO(Level.INFO), WARNING(Level.WARN), ERROR(Level.ERROR), FATAL(Level.ERROR);

    private final Level tinylog;

    LogLevel(Level tinylog) {
        this.tinylog = tinylog;
    }

    /** The tinylog level this one writes from. */
    public Level tinylog() {
        return tinylog;
    }

    /** As NETRA_LOGGER_LEVEL spells it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LogLevel parse(String name, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "debug" -> DEBUG;
            case "info" -> INFO;
            case "warning", "warn" -> WARNING;
            case "error" -> ERROR;
            case "fatal" -> FATAL;
            default -> throw ConfigException.invalid(name, value, "one of debug, info, warning, warn, error, fatal");
        };
    }
}
