package dev.netra.sidecar.http;

/** Receives each finished exchange (tracing, metrics, statsd). Runs on a copy loop: must not block. */
@FunctionalInterface
public interface ExchangeListener {
    void onExchange(Exchange exchange);

    ExchangeListener NONE = exchange -> { };
}
