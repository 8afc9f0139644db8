package dev.netra.sidecar.observe;

import java.util.Locale;

/** JSON string fields for the lines netra writes (access log, tap, JSON log lines): ASCII out, whatever came in. */
public final class Json {
    private Json() {
    }

    /** Appends {@code "name":"value"} (or {@code "name":null}), escaping quotes, backslashes, controls and non-ASCII. */
    public static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":");
        if (value == null) {
            return b.append("null");
        }
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }
}
