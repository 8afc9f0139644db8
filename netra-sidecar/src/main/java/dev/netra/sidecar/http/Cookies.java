package dev.netra.sidecar.http;

import java.util.function.BiConsumer;

/** The name=value pairs of a Cookie header value ({@code a=b; c=d}, RFC 6265), read in place. */
public final class Cookies {
    private Cookies() {
    }

    /** The value of the named cookie in one Cookie header value, or null when it is not there. */
    public static String find(String header, String name) {
        String[] found = new String[1];
        forEach(header, (n, v) -> {
            if (found[0] == null && n.equals(name)) {
                found[0] = v;
            }
        });
        return found[0];
    }

    /** Calls {@code each} with every pair's trimmed name and value, in order; pairs without a name are skipped. */
    public static void forEach(String header, BiConsumer<String, String> each) {
        int at = 0;
        while (at < header.length()) {
            int end = header.indexOf(';', at);
            if (end < 0) {
                end = header.length();
            }
            int eq = header.indexOf('=', at);
            if (eq > at && eq < end) {
                String name = header.substring(at, eq).trim();
                if (!name.isEmpty()) {
                    each.accept(name, header.substring(eq + 1, end).trim());
                }
            }
            at = end + 1;
        }
    }
}
