package dev.netra.sidecar.config;

import java.util.Locale;

/** netramesh's NETRA_LOGGER_LEVEL values, mapped onto tinylog's levels. */
public enum LogLevel {
    DEBUG("debug"), INFO("info"), WARNING("warn"), ERROR("error"), FATAL("error");

    private final String tinylogLevel;

    LogLevel(String tinylogLevel) {
        this.tinylogLevel = tinylogLevel;
    }

    /** The name tinylog's "level" property takes. */
    public String tinylogLevel() {
        return tinylogLevel;
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
