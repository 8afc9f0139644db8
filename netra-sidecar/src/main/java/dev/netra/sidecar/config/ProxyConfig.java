package dev.netra.sidecar.config;

import java.time.Duration;

/**
 * How intercepted connections are taken and carried (rows in {@link Settings}).
 *
 * @param port                      NETRA_PORT
 * @param maxConnections            NETRA_MAX_CONNECTIONS
 * @param connectTimeout            NETRA_CONNECT_TIMEOUT_MILLISECONDS
 * @param shutdownGrace             NETRA_SHUTDOWN_GRACE_SECONDS
 * @param bufferBytes               NETRA_BUFFER_BYTES
 * @param spliceEnabled             NETRA_SPLICE_ENABLED
 * @param platformThreadConnections NETRA_PLATFORM_THREAD_CONNECTIONS
 * @param timeouts                  the NETRA_*_TIMEOUT_SECONDS
 */
public record ProxyConfig(int port, int maxConnections, Duration connectTimeout, Duration shutdownGrace, int bufferBytes,
                          boolean spliceEnabled, int platformThreadConnections, TimeoutConfig timeouts) {
    static ProxyConfig from(Settings.Values v) {
        return new ProxyConfig(v.get(Settings.PORT), v.get(Settings.MAX_CONNECTIONS), v.get(Settings.CONNECT_TIMEOUT),
                v.get(Settings.SHUTDOWN_GRACE), v.get(Settings.BUFFER_BYTES), v.get(Settings.SPLICE_ENABLED),
                v.get(Settings.PLATFORM_THREAD_CONNECTIONS), TimeoutConfig.from(v));
    }
}
