package dev.netra.sidecar.metrics;

import com.timgroup.statsd.NonBlockingStatsDClient;
import com.timgroup.statsd.StatsDClient;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import org.tinylog.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * netramesh's statsd counter {@code <prefix>.inbound.<status>} (no leading dot without a prefix),
 * the same for outbound, and request timings {@code <prefix>.<direction>.duration} in ms.
 * Sent over UDP by java-statsd-client's background sender: never blocks a copy loop.
 */
public final class StatsdReporter implements ExchangeListener, AutoCloseable {
    private static final long ERROR_LOG_INTERVAL_NANOS = 60_000_000_000L;

    private final StatsDClient client;
    /** Metric names per direction and status (0 = no response), built once. */
    private final String[][] counters = new String[2][600];
    private final String[] timers = new String[2];
    private final AtomicLong lastErrorLog = new AtomicLong(System.nanoTime() - ERROR_LOG_INTERVAL_NANOS);

    /** @param address host:port, validated by the config */
    public StatsdReporter(String prefix, String address) {
        int colon = address.lastIndexOf(':');
        this.client = new NonBlockingStatsDClient(prefix, address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1)), this::sendFailed);
        for (Direction d : Direction.values()) {
            for (int s = 0; s < 600; s++) {
                counters[d.ordinal()][s] = d.label() + "." + (s == 0 ? "none" : Integer.toString(s));
            }
            timers[d.ordinal()] = d.label() + ".duration";
        }
    }

    @Override
    public void onExchange(Exchange e) {
        int d = e.direction().ordinal();
        int status = e.status() >= 100 && e.status() < 600 ? e.status() : 0;
        client.incrementCounter(counters[d][status]);
        if (e.end() == Exchange.End.COMPLETE) {
            client.recordExecutionTime(timers[d], (e.responseEndNanos() - e.requestHeadNanos()) / 1_000_000);
        }
    }

    private void sendFailed(Exception e) {
        long last = lastErrorLog.get();
        long now = System.nanoTime();
        if (now - last >= ERROR_LOG_INTERVAL_NANOS && lastErrorLog.compareAndSet(last, now)) {
            Logger.warn("statsd: sending failed ({}); further failures are logged at most once a minute", e.toString());
        }
    }

    @Override
    public void close() {
        client.stop();
    }
}
