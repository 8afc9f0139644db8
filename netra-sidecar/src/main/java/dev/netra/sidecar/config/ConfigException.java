package dev.netra.sidecar.config;

/**
 * A configuration value that netra cannot start with; the message names the variable and the
 * value, less any secret in it ({@link Secrets}).
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(Secrets.withoutUserinfo(message));
    }

    static ConfigException invalid(String name, String value, String expected) {
        return new ConfigException(name + "='" + Secrets.shown(name, value) + "' is invalid: expected " + expected);
    }
}
