package dev.netra.sidecar.http;

/**
 * The changes netra makes on purpose to a request's header block (request id, X-Source, and
 * later trace context and routing). Runs on the request copy loop: must not block.
 */
@FunctionalInterface
public interface HeaderEdits {
    /** Records the edits for one request in {@code editor}; {@code head} is the request as received. */
    void edit(HttpHead head, Exchange exchange, HeaderEditor editor);

    /** Applies {@code this}, then {@code next}. */
    default HeaderEdits andThen(HeaderEdits next) {
        return (head, exchange, editor) -> {
            edit(head, exchange, editor);
            next.edit(head, exchange, editor);
        };
    }
}
