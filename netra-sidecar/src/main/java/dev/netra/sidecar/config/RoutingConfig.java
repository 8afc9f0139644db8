package dev.netra.sidecar.config;

import java.time.Duration;
import java.util.List;

/**
 * Header and cookie routing of the app's outbound calls (rows in {@link Settings}).
 *
 * @param enabled                NETRA_HTTP_ROUTING_ENABLED
 * @param header                 NETRA_HTTP_ROUTING_HEADER_NAME
 * @param cookieEnabled          NETRA_HTTP_ROUTING_COOKIE_ENABLED
 * @param cookieName             NETRA_HTTP_ROUTING_COOKIE_NAME
 * @param contextExpiration      NETRA_ROUTING_CONTEXT_EXPIRATION_MILLISECONDS
 * @param contextCleanupInterval NETRA_ROUTING_CONTEXT_CLEANUP_INTERVAL
 * @param rewriteHost            NETRA_HTTP_ROUTING_REWRITE_HOST
 * @param allowedTargets         NETRA_HTTP_ROUTING_ALLOWED_TARGETS
 * @param trustedSources         NETRA_HTTP_ROUTING_TRUSTED_SOURCES
 * @param maxEntries             NETRA_ROUTING_CONTEXT_MAX_ENTRIES
 * @param upstreamIdleTimeout    NETRA_UPSTREAM_IDLE_TIMEOUT_MILLISECONDS
 */
public record RoutingConfig(boolean enabled, String header, boolean cookieEnabled, String cookieName,
                            Duration contextExpiration, Duration contextCleanupInterval, boolean rewriteHost,
                            List<RouteTarget> allowedTargets, List<AddressRange> trustedSources, int maxEntries,
                            Duration upstreamIdleTimeout) {
    static RoutingConfig from(Settings.Values v) {
        return new RoutingConfig(v.get(Settings.ROUTING_ENABLED), v.get(Settings.ROUTING_HEADER),
                v.get(Settings.ROUTING_COOKIE_ENABLED), v.get(Settings.ROUTING_COOKIE_NAME),
                v.get(Settings.ROUTING_CONTEXT_EXPIRATION), v.get(Settings.ROUTING_CONTEXT_CLEANUP),
                v.get(Settings.ROUTING_REWRITE_HOST), v.get(Settings.ROUTING_ALLOWED_TARGETS),
                v.get(Settings.ROUTING_TRUSTED_SOURCES), v.get(Settings.ROUTING_MAX_ENTRIES),
                v.get(Settings.UPSTREAM_IDLE_TIMEOUT));
    }
}
