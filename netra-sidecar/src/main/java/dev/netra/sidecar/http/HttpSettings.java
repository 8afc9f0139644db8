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
 */
public record HttpSettings(int maxHeaderBytes, Duration detectTimeout, ScheduledExecutorService timer,
                           HeaderEdits edits, ExchangeListener listener, FallbackCounter fallbacks) {

    /** Counts fallbacks; reasons come from a fixed set of parser messages. */
    @FunctionalInterface
    public interface FallbackCounter {
        void count(Direction direction, String reason);
    }
}
