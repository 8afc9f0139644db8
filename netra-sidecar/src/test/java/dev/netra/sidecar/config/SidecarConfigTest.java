package dev.netra.sidecar.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SidecarConfigTest {
    private static final List<String> ARGS = List.of("--service-name", "svc");

    @Test
    void netrameshDefaults() {
        SidecarConfig c = SidecarConfig.from(Map.of(), ARGS);
        assertEquals("svc", c.serviceName());
        assertEquals(LogLevel.INFO, c.logLevel());
        assertEquals(14956, c.proxy().port());
        assertEquals(14957, c.admin().pprofPort());
        assertEquals(14958, c.admin().prometheusPort());
        assertEquals(Set.of(), c.http().httpPorts());
        assertEquals(Duration.ofMillis(5000), c.tracing().contextExpiration());
        assertEquals(Duration.ofMillis(1000), c.tracing().contextCleanupInterval());
        assertEquals("X-Request-Id", c.http().requestIdHeader());
        assertEquals("X-Source", c.http().xSourceHeader());
        assertEquals("netra", c.http().xSourceValue());
        assertFalse(c.admin().statsdEnabled());
        assertFalse(c.routing().enabled());
        assertEquals("X-Route", c.routing().header());
        assertEquals("X-Route", c.routing().cookieName());
        assertEquals(Duration.ofSeconds(30), c.proxy().shutdownGrace());
        assertEquals(4, c.proxy().platformThreadConnections());
    }

    @Test
    void netrameshSeedEnvironmentIsAccepted() {
        SidecarConfig c = SidecarConfig.from(Map.of(
                "JAEGER_AGENT_HOST", "jaeger-agent",
                "JAEGER_AGENT_PORT", "6831",
                "JAEGER_SAMPLER_TYPE", "const",
                "JAEGER_SAMPLER_PARAM", "1",
                "NETRA_HTTP_PORTS", "80, 8890,8891,8080",
                "HTTP_HEADER_TAG_MAP", "x-session:http.session,x-mobile-info:http.x-mobile-info",
                "HTTP_COOKIE_TAG_MAP", "sess:http.cookies.sess",
                "NETRA_LOGGER_LEVEL", "warning",
                "NETRA_STATSD_ENABLED", "true",
                "NETRA_STATSD_ADDRESS", "statsd:8125"), List.of("--service-name=checkout"));
        assertEquals("checkout", c.serviceName());
        assertEquals(Set.of(80, 8890, 8891, 8080), c.http().httpPorts());
        assertEquals(Map.of("x-session", "http.session", "x-mobile-info", "http.x-mobile-info"), c.tracing().headerTags());
        assertEquals(Map.of("sess", "http.cookies.sess"), c.tracing().cookieTags());
        assertEquals(LogLevel.WARNING, c.logLevel());
        assertTrue(c.admin().statsdEnabled());
        assertEquals("jaeger-agent", c.tracing().jaeger().get("JAEGER_AGENT_HOST"));
    }

    @Test
    void secretsAreNotPrinted() {
        SidecarConfig c = SidecarConfig.from(Map.of("JAEGER_PASSWORD", "hunter2", "JAEGER_USER", "bob"), ARGS);
        String printed = String.join(" ", c.describe());
        assertFalse(printed.contains("hunter2"), printed);
        assertTrue(printed.contains("JAEGER_PASSWORD=(set, hidden)"), printed);
        assertTrue(printed.contains("JAEGER_USER=bob"), printed);
    }

    @Test
    void serviceNameIsRequired() {
        assertEquals("--service-name is required (the service name of this pod's spans)",
                assertThrows(ConfigException.class, () -> SidecarConfig.from(Map.of(), List.of())).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> SidecarConfig.from(Map.of(), List.of("--verbose")))
                .getMessage().startsWith("unknown argument '--verbose'"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "NETRA_LOGGER_LEVEL|verbose|NETRA_LOGGER_LEVEL='verbose' is invalid: expected one of debug, info, warning, warn, error, fatal",
            "NETRA_PORT|0|NETRA_PORT='0' is invalid: expected a port 1-65535",
            "NETRA_PORT|http|NETRA_PORT='http' is invalid: expected a port 1-65535",
            "NETRA_PROMETHEUS_PORT|14956|NETRA_PROMETHEUS_PORT='14956' is invalid: it equals NETRA_PORT",
            "NETRA_PPROF_PORT|70000|NETRA_PPROF_PORT='70000' is invalid: expected 0 (disabled) or a port 1-65535",
            "NETRA_PPROF_PORT|14958|NETRA_PPROF_PORT='14958' is invalid: it equals NETRA_PORT or NETRA_PROMETHEUS_PORT",
            "NETRA_HTTP_PORTS|80,eighty|NETRA_HTTP_PORTS='80,eighty' is invalid: expected a comma list of ports 1-65535 (bad item 'eighty')",
            "NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS|-1|NETRA_TRACING_CONTEXT_EXPIRATION_MILLISECONDS='-1' is invalid: expected an integer from 1 to 2147483647",
            "NETRA_TRACING_CONTEXT_CLEANUP_INTERVAL|1s|NETRA_TRACING_CONTEXT_CLEANUP_INTERVAL='1s' is invalid: expected an integer from 1 to 2147483647",
            "NETRA_HTTP_REQUEST_ID_HEADER_NAME|X Request|NETRA_HTTP_REQUEST_ID_HEADER_NAME='X Request' is invalid: expected an HTTP header name (an RFC 9110 token, no spaces)",
            "HTTP_HEADER_TAG_MAP|x-session|HTTP_HEADER_TAG_MAP='x-session' is invalid: expected a comma list of key:value pairs (bad item 'x-session')",
            "NETRA_STATSD_ENABLED|yes|NETRA_STATSD_ENABLED='yes' is invalid: expected true or false",
            "NETRA_STATSD_ADDRESS|statsd|NETRA_STATSD_ADDRESS='statsd' is invalid: expected host:port",
            "NETRA_HTTP_ROUTING_ENABLED|1|NETRA_HTTP_ROUTING_ENABLED='1' is invalid: expected true or false",
            "JAEGER_AGENT_PORT|0|JAEGER_AGENT_PORT='0' is invalid: expected a port 1-65535",
            "JAEGER_SAMPLER_TYPE|always|JAEGER_SAMPLER_TYPE='always' is invalid: expected const, probabilistic, ratelimiting or remote",
            "JAEGER_SAMPLER_PARAM|x|JAEGER_SAMPLER_PARAM='x' is invalid: expected a number from 0.0 to 1.7976931348623157E308",
            "JAEGER_ENDPOINT|udp://x|JAEGER_ENDPOINT='udp://x' is invalid: expected an http:// or https:// URL",
            "JAEGER_TAGS|a=1,b|JAEGER_TAGS='a=1,b' is invalid: expected a comma list of key=value pairs (bad item 'b')",
            "NETRA_MAX_CONNECTIONS|0|NETRA_MAX_CONNECTIONS='0' is invalid: expected an integer from 1 to 1000000",
            "NETRA_SHUTDOWN_GRACE_SECONDS|-3|NETRA_SHUTDOWN_GRACE_SECONDS='-3' is invalid: expected an integer from 0 to 86400",
            "NETRA_BUFFER_BYTES|10|NETRA_BUFFER_BYTES='10' is invalid: expected an integer from 1024 to 1048576",
            "NETRA_PLATFORM_THREAD_CONNECTIONS|65|NETRA_PLATFORM_THREAD_CONNECTIONS='65' is invalid: expected an integer from 0 to 64",
    })
    void everyBadValueIsNamedWithItsVariable(String name, String value, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> SidecarConfig.from(Map.of(name, value), ARGS));
        assertEquals(message, e.getMessage());
    }

    @Test
    void statsdEnabledWithoutAnAddressIsAnError() {
        assertEquals("NETRA_STATSD_ADDRESS='' is invalid: NETRA_STATSD_ENABLED=true needs a host:port",
                assertThrows(ConfigException.class,
                        () -> SidecarConfig.from(Map.of("NETRA_STATSD_ENABLED", "true"), ARGS)).getMessage());
    }

    @Test
    void headerValuesCannotSmuggleLineBreaks() {
        assertThrows(ConfigException.class,
                () -> SidecarConfig.from(Map.of("NETRA_HTTP_X_SOURCE_VALUE", "a\r\nX-Evil: 1"), ARGS));
    }

    @Test
    void operatorViewsAreConfiguredFromTheTable() {
        SidecarConfig c = SidecarConfig.from(Map.of("NETRA_LOG_FORMAT", "JSON", "NETRA_METRICS_MAX_DESTINATIONS", "7",
                "NETRA_METRICS_OTEL_NAMES", "true", "NETRA_METRICS_POD_LABELS", "true", "POD_NAME", "shop-1",
                "POD_NAMESPACE", "prod"), ARGS);
        assertTrue(c.admin().jsonLog());
        assertEquals(new MetricsConfig(7, true, Map.of("pod", "shop-1", "namespace", "prod")), c.admin().metrics());
        assertEquals(MetricsConfig.DEFAULT, SidecarConfig.from(Map.of(), ARGS).admin().metrics());
        assertEquals("NETRA_LOG_FORMAT='yaml' is invalid: expected text, json", assertThrows(ConfigException.class,
                () -> SidecarConfig.from(Map.of("NETRA_LOG_FORMAT", "yaml"), ARGS)).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> SidecarConfig.from(Map.of("NETRA_METRICS_POD_LABELS", "true",
                "POD_NAME", "shop-1"), ARGS)).getMessage().startsWith("NETRA_METRICS_POD_LABELS=true needs POD_NAMESPACE"));
    }
}
