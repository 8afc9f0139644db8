package dev.netra.sidecar.config;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** No secret reaches the start-up line or a configuration error, whatever variable it is in. */
class SecretsTest {
    private static final List<String> ARGS = List.of("--service-name", "svc");
    private static final String SECRET = "s3cr3t";
    /** Variables that hold secrets by name, besides every variable the start-up line shows. */
    private static final List<String> SECRET_VARIABLES = List.of("OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "JAEGER_PASSWORD", "JAEGER_AUTH_TOKEN");

    /** Every variable the config reads that the start-up line names, and the secret ones. */
    private static Set<String> variables() {
        Set<String> names = new LinkedHashSet<>(SECRET_VARIABLES);
        for (String line : SidecarConfig.from(Map.of(), ARGS).describe()) {
            for (String word : line.split(" ")) {
                int eq = word.indexOf('=');
                if (eq > 0 && word.substring(0, eq).matches("[A-Z][A-Z0-9_]+")) {
                    names.add(word.substring(0, eq));
                }
            }
        }
        names.addAll(List.of("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "JAEGER_AGENT_HOST",
                "JAEGER_ENDPOINT", "OTEL_RESOURCE_ATTRIBUTES", "JAEGER_TAGS"));
        return names;
    }

    /** What the sidecar prints of a config: the start-up line, or the error. */
    private static String printed(Map<String, String> env) {
        try {
            return String.join(" ", SidecarConfig.from(env, ARGS).describe());
        } catch (ConfigException e) {
            return e.getMessage();
        }
    }

    @Test
    void aUrlsUserAndPasswordAreNeverPrintedInAnyVariable() {
        Set<String> names = variables();
        assertTrue(names.size() > 40, "the start-up line names the variables: " + names);
        for (String name : names) {
            for (String value : List.of("http://user:" + SECRET + "@collector:4318", "http://user:" + SECRET + "@bad host/",
                    "k=http://u:" + SECRET + "@h:1/x", "udp://u:" + SECRET + "@h:6831")) {
                String out = printed(Map.of(name, value));
                assertFalse(out.contains(SECRET), name + "=" + value + " printed: " + out);
            }
        }
    }

    @Test
    void secretVariablesAreNeverPrintedValidOrNot() {
        for (String name : SECRET_VARIABLES) {
            for (String value : List.of("authorization=Bearer " + SECRET, "authorization", SECRET, "a=b,broken" + SECRET)) {
                String out = printed(Map.of(name, value, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"));
                assertFalse(out.contains(SECRET), name + "=" + value + " printed: " + out);
            }
        }
    }

    @Test
    void aBadHeadersValueIsNamedButNotShown() {
        ConfigException e = assertThrows(ConfigException.class, () -> SidecarConfig.from(
                Map.of("OTEL_EXPORTER_OTLP_HEADERS", "authorization" + SECRET), ARGS));
        assertTrue(e.getMessage().startsWith("OTEL_EXPORTER_OTLP_HEADERS='(hidden, 19 characters)' is invalid"), e.getMessage());
    }

    @Test
    void theOtlpEndpointIsShownWithoutItsCredentialsOrQuery() {
        String out = printed(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "https://tenant:" + SECRET + "@otlp.example:4318/base?key=" + SECRET));
        assertTrue(out.contains("otlp=https://otlp.example:4318/base/v1/traces?(query hidden)"), out);
    }

    @Test
    void ordinaryValuesAreStillNamedInErrors() {
        assertEquals("NETRA_PORT='abc' is invalid: expected a port 1-65535",
                assertThrows(ConfigException.class, () -> SidecarConfig.from(Map.of("NETRA_PORT", "abc"), ARGS)).getMessage());
    }
}
