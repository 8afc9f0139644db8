package dev.netra.sidecar.proxy;

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

    /** Connects of at least this long are timed by the connections' clock (Timeouts), which checks once a second. */
    static final long CLOCKED_MIN_MILLIS = 2000;

    /** The connections' clock, told of a connect it is to cut short at its deadline (Connection). */
    interface ConnectClock {
        /** {@code ch} connects until {@code deadline} (Timeouts' coarse milliseconds). */
        void connecting(SocketChannel ch, long deadline);

        /** The connect ended; true when the clock closed it for its deadline. */
        boolean connected();
    }

    /**
     * Connects to {@code target}; {@code opened} receives the socket before the connect starts, so
     * that an abort meanwhile can close it. On a virtual thread the connect is a plain blocking one
     * (it parks on the JDK's poller) timed by {@code clock}; the socket adaptor's timed connect
     * would switch the socket to non-blocking and back around a poll(2), five system calls more
     * per connection (docs/performance-log.md, "A new connection per request").
     *
     * @throws ConnectFailed counted in {@code m}, logged (a missing descriptor at most once a minute)
     */
    static SocketChannel connect(long id, String what, InetSocketAddress target, Duration timeout, ConnectionMetrics m,
                                 java.util.function.Consumer<SocketChannel> opened, ConnectClock clock) throws ConnectFailed {
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
        boolean clocked = Thread.currentThread().isVirtual() && timeout.toMillis() >= CLOCKED_MIN_MILLIS;
        try {
            if (clocked) {
                clock.connecting(up, Timeouts.now() + timeout.toMillis());
                try {
                    up.connect(target);
                } catch (java.nio.channels.ClosedChannelException closed) {
                    if (clock.connected()) {
                        throw new SocketTimeoutException("connect timed out after " + timeout.toMillis() + " ms");
                    }
                    throw closed;
                } catch (IOException | RuntimeException other) {
                    clock.connected();
                    throw other;
                }
                if (clock.connected()) {
                    throw new SocketTimeoutException("connect timed out after " + timeout.toMillis() + " ms");
                }
            } else {
                up.socket().connect(target, (int) timeout.toMillis());
            }
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
