package dev.netra.sidecar.observe;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The live tap: the exchanges this sidecar sees right now, to whoever subscribed
 * ({@code /tap} on the profiling port). With nobody subscribed an ending exchange costs one
 * read of an empty list; each subscriber has a bounded queue ({@value #QUEUE} records) and a rate
 * limit, and what does not fit is dropped and counted ({@code netra_tap_dropped_total}): a slow
 * reader never slows traffic or grows memory.
 */
public final class Tap implements ExchangeListener {
    static final int QUEUE = 256;
    /** Subscribers at most: each holds a queue and a connection. */
    public static final int MAX_SUBSCRIBERS = 8;

    private final CopyOnWriteArrayList<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private final CounterDataPoint dropped;
    /** Records made: none while nobody listens. */
    private final java.util.concurrent.atomic.AtomicLong made = new java.util.concurrent.atomic.AtomicLong();

    public Tap(PrometheusRegistry registry) {
        this.dropped = Counter.builder().name("netra_tap_dropped_total")
                .help("Exchanges a tap subscriber missed: its queue was full or its rate limit reached")
                .register(registry).labelValues();
    }

    /**
     * What a subscriber wants: each filter null for any.
     *
     * @param statusClass 1..5 for 1xx..5xx, 0 for exchanges without a response, -1 for any
     * @param perSecond   records per second at most
     */
    public record Filter(Direction direction, String authority, String pathPrefix, int statusClass, int perSecond) {
        boolean matches(ExchangeRecord r) {
            return (direction == null || direction == r.direction())
                    && (authority == null || authority.equalsIgnoreCase(r.authority()))
                    && (pathPrefix == null || r.path() != null && r.path().startsWith(pathPrefix))
                    && (statusClass < 0 || statusClass == r.status() / 100);
        }
    }

    /** One subscriber's queue; closed by its reader when it leaves. */
    public final class Subscription implements AutoCloseable {
        private final Filter filter;
        private final ArrayBlockingQueue<ExchangeRecord> queue = new ArrayBlockingQueue<>(QUEUE);
        private long windowStart;
        private int inWindow;

        private Subscription(Filter filter) {
            this.filter = filter;
        }

        /** The next record, or null when none came within {@code millis}. */
        public ExchangeRecord next(long millis) throws InterruptedException {
            return queue.poll(millis, TimeUnit.MILLISECONDS);
        }

        private synchronized void offer(ExchangeRecord r) {
            if (!filter.matches(r)) {
                return;
            }
            long second = System.nanoTime() / 1_000_000_000L;
            if (second != windowStart) {
                windowStart = second;
                inWindow = 0;
            }
            if (++inWindow > filter.perSecond() || !queue.offer(r)) {
                dropped.inc();
            }
        }

        @Override
        public void close() {
            subscribers.remove(this);
        }
    }

    /** A new subscriber, or null when {@value #MAX_SUBSCRIBERS} are listening already. */
    public synchronized Subscription subscribe(Filter filter) {
        if (subscribers.size() >= MAX_SUBSCRIBERS) {
            return null;
        }
        Subscription s = new Subscription(filter);
        subscribers.add(s);
        return s;
    }

    @Override
    public void onExchange(Exchange e) {
        if (subscribers.isEmpty()) {
            return;
        }
        ExchangeRecord r = ExchangeRecord.of(e, TraceIds.of(e));
        made.incrementAndGet();
        for (Subscription s : subscribers) {
            s.offer(r);
        }
    }

    /** Records made so far (racy, for tests): none while nobody listens. */
    long made() {
        return made.get();
    }

    long dropped() {
        return dropped.getLongValue();
    }
}
