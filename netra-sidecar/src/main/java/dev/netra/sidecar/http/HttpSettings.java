package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the HTTP engine needs from the rest of the sidecar, wired once in Main.
 *
 * @param maxHeaderBytes head size above which a connection goes opaque (NETRA_HTTP_MAX_HEADER_BYTES)
 * @param detectTimeout  how long to wait for enough bytes to tell HTTP from not (NETRA_DETECT_TIMEOUT_MILLISECONDS)
 * @param timer          runs detection timeouts
 * @param edits          header edits applied to every request
 * @param listener       receives every finished exchange
 * @param fallbacks      counts each switch to opaque forwarding, by direction and reason
 * @param heads          the head arrays every connection borrows from
 */
public record HttpSettings(int maxHeaderBytes, Duration detectTimeout, ScheduledExecutorService timer,
                           HeaderEdits edits, ExchangeListener listener, FallbackCounter fallbacks,
                           HeadArrays heads) {

    /** Settings with head arrays of their own. */
    public HttpSettings(int maxHeaderBytes, Duration detectTimeout, ScheduledExecutorService timer,
                        HeaderEdits edits, ExchangeListener listener, FallbackCounter fallbacks) {
        this(maxHeaderBytes, detectTimeout, timer, edits, listener, fallbacks, new HeadArrays());
    }

    /** Counts fallbacks; reasons come from a fixed set of parser messages. */
    @FunctionalInterface
    public interface FallbackCounter {
        void count(Direction direction, String reason);
    }
}
