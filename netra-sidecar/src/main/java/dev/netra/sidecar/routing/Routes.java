package dev.netra.sidecar.routing;

import org.tinylog.Logger;

import java.util.Locale;

/** netramesh's routing value: {@code host1=host2,host3=host4}. */
final class Routes {
    private Routes() {
    }

    /**
     * The target for {@code host} (lower case, without port), or null. Pairs without '=' are
     * ignored (logged at debug), {@code a=a} is skipped, host names compare case-insensitively.
     */
    static String lookup(String value, String host) {
        for (String pair : value.split(",")) {
            String p = pair.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                Logger.debug("routing pair '{}' has no '=': ignored", p);
                continue;
            }
            String from = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String to = p.substring(eq + 1).trim();
            if (!from.equals(host)) {
                continue;
            }
            if (Router.hostWithoutPort(to).equalsIgnoreCase(from) && to.indexOf(':') < 0) {
                continue; // a=a: nowhere else to go
            }
            return to;
        }
        return null;
    }
}
