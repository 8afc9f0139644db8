package dev.netra.sidecar.http;

import java.util.function.BiConsumer;
import java.util.function.BiPredicate;

/** The name=value pairs of a Cookie header value ({@code a=b; c=d}, RFC 6265), read in place. */
public final class Cookies {
    private Cookies() {
    }

    /** The value of the named cookie in one Cookie header value, or null when it is not there. */
    public static String find(String header, String name) {
        String[] found = new String[1];
        scan(header, (n, v) -> {
            if (n.equals(name)) {
                found[0] = v;
                return false;
            }
            return true;
        });
        return found[0];
    }

    /** Calls {@code each} with every pair's trimmed name and value, in order; pairs without a name are skipped. */
    public static void forEach(String header, BiConsumer<String, String> each) {
        scan(header, (n, v) -> {
            each.accept(n, v);
            return true;
        });
    }

    /** Hands each pair to {@code more} until it returns false: a lookup stops at its cookie. */
    private static void scan(String header, BiPredicate<String, String> more) {
        int at = 0;
        while (at < header.length()) {
            int end = header.indexOf(';', at);
            if (end < 0) {
                end = header.length();
            }
            int eq = header.indexOf('=', at);
            if (eq > at && eq < end) {
                String name = header.substring(at, eq).trim();
                if (!name.isEmpty() && !more.test(name, header.substring(eq + 1, end).trim())) {
                    return;
                }
            }
            at = end + 1;
        }
    }
}
