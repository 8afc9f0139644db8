package dev.netra.sidecar.proxy;

import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.HttpPolicy;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.metrics.ProxyMetrics;

import java.nio.ByteBuffer;

/** What every connection shares: config, metrics, buffers, and the listener's bookkeeping. */
interface ProxyContext {
    SidecarConfig config();

    ProxyMetrics metrics();

    BufferPool buffers();

    /** The threads connections run on. */
    ConnectionThreads threads();

    /** Pipes for bulk raw directions (splice). */
    Pipes pipes();

    OriginalDestinations destinations();

    HttpPolicy httpPolicy();

    HttpSettings http();

    /** Null unless NETRA_HTTP_ROUTING_ENABLED. */
    dev.netra.sidecar.routing.Router router();

    /** The buffers of one direction that waits on {@code home} (a small buffer from {@link #buffers()}). */
    default DirectionBuffers directionBuffers(ByteBuffer home) {
        return new DirectionBuffers(buffers(), metrics(), home);
    }

    /** Called exactly once by each connection when it has released everything. */
    void finished(Connection connection);
}
