package dev.netra.sidecar.config;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What of a configuration value may be printed (start-up line, error messages): nothing of a
 * variable whose name says it holds a secret (password, token, secret, key, auth, headers), and
 * no user:password part of a URL anywhere (nor anything else before an {@code @}).
 */
public final class Secrets {
    private static final Pattern SECRET_NAME = Pattern.compile(".*(PASSWORD|TOKEN|SECRET|KEY|AUTH|HEADERS|CREDENTIAL).*");
    /** What stands before an '@' in a word: a URL's user:password, also when only part of the URL is printed. */
    private static final Pattern USERINFO = Pattern.compile("[^/?#@\\s'=\\[\\]{},]+@");

    private Secrets() {
    }

    /** Whether a variable's value is a secret by its name. */
    public static boolean secretName(String variable) {
        return SECRET_NAME.matcher(variable.toUpperCase(Locale.ROOT)).matches();
    }

    /** {@code value} as it may be printed for {@code variable}. */
    public static String shown(String variable, String value) {
        if (value == null) {
            return null;
        }
        if (secretName(variable)) {
            return "(hidden, " + value.length() + " characters)";
        }
        return withoutUserinfo(value);
    }

    /** {@code text} with the user:password part of every URL in it replaced by {@code ***}. */
    public static String withoutUserinfo(String text) {
        return USERINFO.matcher(text).replaceAll("***@");
    }

    /** A URL as it may be printed: scheme, host, port and path; no user:password, no query. */
    public static String url(URI uri) {
        if (uri == null) {
            return null;
        }
        return uri.getScheme() + "://" + (uri.getHost() == null ? "" : uri.getHost())
                + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?(query hidden)");
    }
}
