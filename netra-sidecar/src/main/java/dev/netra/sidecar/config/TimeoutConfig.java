package dev.netra.sidecar.config;

import java.time.Duration;

/**
 * How long a connection may wait before netra lets it go (Duration.ZERO: never). Each is
 * inactivity-based except the request head's: bytes flowing keep a connection.
 *
 * @param idle         no byte either way for this long: the connection is closed. Default 1 h,
 *                     as Envoy's TCP proxy: long-lived idle keep-alive pools and websockets stay
 * @param halfClosed   once one side has ended (FIN), no byte from the other side for this long:
 *                     the connection is reset. Default 60 s (HAProxy's client-fin/server-fin idea)
 * @param requestHead  an HTTP request head must be complete this long after its first byte, else
 *                     the connection is reset (slowloris). Default 60 s
 * @param responseHead an HTTP response head must start arriving this long after its request was
 *                     sent (an upstream that accepts and never answers). Default off: only the
 *                     app knows how long its calls may take
 */
public record TimeoutConfig(Duration idle, Duration halfClosed, Duration requestHead, Duration responseHead) {
    static TimeoutConfig from(Settings.Values v) {
        return new TimeoutConfig(v.get(Settings.IDLE_TIMEOUT), v.get(Settings.HALF_CLOSED_TIMEOUT),
                v.get(Settings.REQUEST_HEAD_TIMEOUT), v.get(Settings.RESPONSE_HEAD_TIMEOUT));
    }
}
