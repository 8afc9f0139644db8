package dev.netra.sidecar.proxy;

import dev.netra.sidecar.Addresses;
import dev.netra.sidecar.metrics.ProxyMetrics.ConnectFailure;
import dev.netra.sidecar.metrics.ProxyMetrics.ConnectionMetrics;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * The one way a connection connects to an upstream: a socket of the target's address family,
 * NETRA_CONNECT_TIMEOUT_MILLISECONDS, TCP_NODELAY, and every failure counted by reason
 * ({@code netra_tcp_connect_failures_total}). What the client is told is the caller's: a plain
 * connection resets it, a routed one answers 502.
 */
final class Dialer {
    private static final RateLimitedLog NO_SOCKET_LOG = new RateLimitedLog(Duration.ofMinutes(1));

    private Dialer() {
    }

    /** A failed connect, already counted and logged. */
    static final class ConnectFailed extends IOException {
        private static final long serialVersionUID = 1L;
        final ConnectFailure reason;

        ConnectFailed(ConnectFailure reason, IOException cause) {
            super(reason.label() + ": " + cause.getMessage(), cause);
            this.reason = reason;
        }
    }

    /**
     * Connects to {@code target}; {@code opened} receives the socket before the connect starts, so
     * that an abort meanwhile can close it.
     *
     * @throws ConnectFailed counted in {@code m}, logged (a missing descriptor at most once a minute)
     */
    static SocketChannel connect(long id, String what, InetSocketAddress target, Duration timeout, ConnectionMetrics m,
                                 java.util.function.Consumer<SocketChannel> opened) throws ConnectFailed {
        SocketChannel up;
        try {
            up = SocketChannel.open(target.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        } catch (IOException e) {
            m.connectFailed(ConnectFailure.NO_DESCRIPTORS);
            NO_SOCKET_LOG.warn("conn={} {} no socket for the upstream {}: {}"
                    + " (netra_tcp_connect_failures_total{reason=\"no_descriptors\"})", id, what, Addresses.format(target), e.getMessage());
            throw new ConnectFailed(ConnectFailure.NO_DESCRIPTORS, e);
        }
        opened.accept(up);
        try {
            up.socket().connect(target, (int) timeout.toMillis());
            up.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return up;
        } catch (IOException e) {
            ConnectFailure reason = switch (e) {
                case ConnectException ce -> ConnectFailure.REFUSED;
                case SocketTimeoutException te -> ConnectFailure.TIMEOUT;
                case NoRouteToHostException ne -> ConnectFailure.UNREACHABLE;
                default -> ConnectFailure.OTHER;
            };
            m.connectFailed(reason);
            Logger.info("conn={} {} connect to {} failed ({}): {}", id, what, Addresses.format(target), reason.label(), e.getMessage());
            try {
                up.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
            throw new ConnectFailed(reason, e);
        }
    }
}
