package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;

/**
 * What the HTTP engine needs from the rest of the sidecar, wired once in Main.
 *
 * @param maxHeaderBytes head size above which a connection goes opaque (NETRA_HTTP_MAX_HEADER_BYTES)
 * @param edits          header edits applied to every request
 * @param listener       receives every finished exchange
 * @param fallbacks      counts each switch to opaque forwarding, by direction and reason
 * @param heads          the head arrays every connection borrows from
 */
public record HttpSettings(int maxHeaderBytes, HeaderEdits edits, ExchangeListener listener, FallbackCounter fallbacks,
                           HeadArrays heads) {

    /** Settings with head arrays of their own. */
    public HttpSettings(int maxHeaderBytes, HeaderEdits edits, ExchangeListener listener, FallbackCounter fallbacks) {
        this(maxHeaderBytes, edits, listener, fallbacks, new HeadArrays());
    }

    /** Counts fallbacks; reasons come from a fixed set of parser messages. */
    @FunctionalInterface
    public interface FallbackCounter {
        void count(Direction direction, String reason);
    }
}
