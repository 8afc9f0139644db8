package dev.netra.sidecar.observe;

import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.tinylog.Logger;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * NETRA_ACCESS_LOG: one line per finished exchange, text or JSON, on standard output. The copy
 * loop that ends an exchange only offers a record to a bounded queue ({@value #QUEUE} records of
 * at most ~1.5 KB); a writer thread of its own writes them. When the output cannot keep up,
 * records are dropped and counted ({@code netra_access_log_dropped_total}), and traffic never waits.
 */
public final class AccessLog implements ExchangeListener, AutoCloseable {
    static final int QUEUE = 1024;

    private final ArrayBlockingQueue<ExchangeRecord> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Function<ExchangeRecord, String> format;
    private final PrintStream out;
    private final CounterDataPoint dropped;
    private final Thread writer;
    private volatile boolean closed;

    /**
     * @param json JSON lines, else text lines
     * @param out  where lines go (standard output; the sidecar's own log is on standard error)
     */
    public AccessLog(boolean json, OutputStream out, PrometheusRegistry registry) {
        this.format = json ? ExchangeRecord::json : ExchangeRecord::text;
        this.out = new PrintStream(out, false, StandardCharsets.UTF_8);
        this.dropped = Counter.builder().name("netra_access_log_dropped_total")
                .help("Access log lines dropped because the output did not keep up (NETRA_ACCESS_LOG)")
                .register(registry).labelValues();
        this.writer = Thread.ofPlatform().name("netra-access-log").daemon().start(this::write);
    }

    @Override
    public void onExchange(Exchange e) {
        if (!queue.offer(ExchangeRecord.of(e, TraceIds.of(e)))) {
            dropped.inc();
        }
    }

    private void write() {
        List<ExchangeRecord> batch = new ArrayList<>(64);
        try {
            while (!closed || !queue.isEmpty()) {
                ExchangeRecord first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 63);
                for (ExchangeRecord r : batch) {
                    out.println(format.apply(r));
                }
                out.flush();
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            Logger.error(e, "the access log writer failed: bug; no more access log lines");
        }
    }

    /** Writes what is queued (waiting up to a second), then stops. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.flush();
    }

    long dropped() {
        return dropped.getLongValue();
    }
}
