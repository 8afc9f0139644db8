package dev.netra.sidecar.config;

import java.util.function.Function;

/**
 * One row of the configuration table ({@link Settings}): a variable, its default as a user would
 * write it, what it means, how it is read and validated, and how its value shows on the
 * start-up line. The same row drives validation, that line and the reference in
 * docs/configuration.md (checked by ConfigurationDocsTest).
 */
public record Setting<T>(String name, String defaultText, String meaning, Function<Env, T> reader,
                         Function<T, String> shown) {

    /** Reads and validates the variable; a bad value throws {@link ConfigException} naming it. */
    T read(Env env) {
        return reader.apply(env);
    }

    /** {@code NAME=value} as the start-up line prints it. */
    String describe(T value) {
        return name + "=" + shown.apply(value);
    }

    /** The row of the reference table in docs/configuration.md. */
    public String docRow() {
        return "| `" + name + "` | " + defaultText + " | " + meaning + " |";
    }
}
