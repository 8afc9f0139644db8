package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.EnumMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;

/**
 * The proxy's Prometheus metrics. Label values are resolved once here, so that the hot path only
 * increments pre-bound data points (lock-free adders, no allocation).
 */
public final class ProxyMetrics {

    /** Why an upstream connect failed, as a metric label. */
    public enum ConnectFailure {
        REFUSED, TIMEOUT, UNREACHABLE, NO_DESCRIPTORS, OTHER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why an accepted connection was not proxied at all, as a metric label. */
    public enum Rejection {
        NO_ORIGINAL_DESTINATION, LOOP;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why accepting a connection failed, as a metric label: descriptors or kernel memory ran out, or else. */
    public enum AcceptError {
        EMFILE, ENFILE, ENOBUFS, OTHER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Classified by the JDK's message for the errno (it carries no errno itself). */
        public static AcceptError of(java.io.IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("Too many open files in system")) {
                return ENFILE;
            }
            if (m.contains("Too many open files")) {
                return EMFILE;
            }
            if (m.contains("No buffer space") || m.contains("Cannot allocate memory")) {
                return ENOBUFS;
            }
            return OTHER;
        }
    }

    /** Which timeout closed a connection, as a metric label. */
    public enum Timeout {
        IDLE, HALF_CLOSED, REQUEST_HEAD, RESPONSE_HEAD;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The data points one connection touches: opened, bytes and connect failures bound to its
     * direction and destination ({@link Destinations}), closed and active to its direction.
     */
    public static final class ConnectionMetrics {
        private final CounterDataPoint opened;
        private final CounterDataPoint closed;
        private final GaugeDataPoint active;
        private final CounterDataPoint bytesToUpstream;
        private final CounterDataPoint bytesToClient;
        private final Counter failures;
        private final String direction;
        private final String destination;
        /** By {@link ConnectFailure} ordinal, labelled when first needed: most destinations never fail. */
        private final java.util.concurrent.atomic.AtomicReferenceArray<CounterDataPoint> connectFailures =
                new java.util.concurrent.atomic.AtomicReferenceArray<>(ConnectFailure.values().length);

        ConnectionMetrics(CounterDataPoint opened, CounterDataPoint closed, GaugeDataPoint active,
                          CounterDataPoint bytesToUpstream, CounterDataPoint bytesToClient, Counter failures,
                          String direction, String destination) {
            this.opened = opened;
            this.closed = closed;
            this.active = active;
            this.bytesToUpstream = bytesToUpstream;
            this.bytesToClient = bytesToClient;
            this.failures = failures;
            this.direction = direction;
            this.destination = destination;
        }

        public CounterDataPoint opened() {
            return opened;
        }

        public CounterDataPoint closed() {
            return closed;
        }

        public GaugeDataPoint active() {
            return active;
        }

        public CounterDataPoint bytesToUpstream() {
            return bytesToUpstream;
        }

        public CounterDataPoint bytesToClient() {
            return bytesToClient;
        }

        /** Counts a connect that failed for {@code reason}. */
        public void connectFailed(ConnectFailure reason) {
            connectFailure(reason).inc();
        }

        long connectFailures(ConnectFailure reason) {
            CounterDataPoint p = connectFailures.get(reason.ordinal());
            return p == null ? 0 : p.getLongValue();
        }

        private CounterDataPoint connectFailure(ConnectFailure reason) {
            return slot(connectFailures, reason.ordinal(), () -> failures.labelValues(direction, reason.label(), destination));
        }
    }

    private final PrometheusRegistry registry;
    private final Destinations destinations;
    private final Counter tlsHellos;
    /** [direction][server name index, "none" last][alpn index, "other", "none"], made when first used. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<CounterDataPoint> tlsPoints;
    private final Counter opened;
    private final CounterDataPoint[] closed = new CounterDataPoint[2];
    private final GaugeDataPoint[] active = new GaugeDataPoint[2];
    private final Counter bytes;
    private final Counter failures;
    /** [direction * (destinations + 1) + destination], made when first used. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<ConnectionMetrics> byDestination;
    private final Map<Rejection, CounterDataPoint> rejections = new EnumMap<>(Rejection.class);
    private final CounterDataPoint limitHits;
    private final Map<AcceptError, CounterDataPoint> acceptErrors = new EnumMap<>(AcceptError.class);
    private final Map<Timeout, CounterDataPoint> timeouts = new EnumMap<>(Timeout.class);
    private final CounterDataPoint largeBufferLimitHits;
    private final CounterDataPoint splicedFlows;
    private final CounterDataPoint spliceLimitHits;
    private final CounterDataPoint platformThreadConnections;
    private final CounterDataPoint movesToVirtualThreads;
    private final Counter httpFallbacks;
    private final Map<dev.netra.sidecar.detect.Protocol, CounterDataPoint> detected =
            new EnumMap<>(dev.netra.sidecar.detect.Protocol.class);
    private final Map<Direction, Map<Exchange.End, CounterDataPoint>> exchanges = new EnumMap<>(Direction.class);

    /** With its own destinations, at the default limit: for tests. */
    public ProxyMetrics(PrometheusRegistry registry) {
        this(registry, new Destinations(dev.netra.sidecar.config.MetricsConfig.DEFAULT.maxDestinations(), registry));
    }

    /** @param destinations the destination label's values, shared with {@link HttpMetrics} */
    public ProxyMetrics(PrometheusRegistry registry, Destinations destinations) {
        this.registry = registry;
        this.destinations = destinations;
        this.tlsHellos = Counter.builder().name("netra_tls_client_hellos_total")
                .help("TLS connections (opaque) by the server name their ClientHello asked for (SNI, bounded as the"
                        + " destination label) and the first protocol it offered (ALPN)")
                .labelNames("direction", "server_name", "alpn").register(registry);
        this.tlsPoints = new java.util.concurrent.atomic.AtomicReferenceArray<>(
                2 * (destinations.other() + 2) * (ALPN.size() + 2));
        this.byDestination = new java.util.concurrent.atomic.AtomicReferenceArray<>(2 * (destinations.other() + 1));
        // No exemplars (resources/prometheus.properties): none of these would carry a trace id.
        String version = ProxyMetrics.class.getPackage().getImplementationVersion();
        Gauge.builder().name("netra_build_info")
                .help("Always 1: which netra and which Java this sidecar runs").labelNames("version", "java_version")
                .register(registry).labelValues(version == null ? "dev" : version, Runtime.version().toString()).set(1);
        opened = Counter.builder().name("netra_tcp_connections_opened_total")
                .help("Intercepted connections accepted and proxied, by direction and original destination")
                .labelNames("direction", "destination").register(registry);
        Counter closedCounter = Counter.builder().name("netra_tcp_connections_closed_total")
                .help("Intercepted connections finished").labelNames("direction").register(registry);
        Gauge activeGauge = Gauge.builder().name("netra_tcp_connections_active")
                .help("Intercepted connections open now").labelNames("direction").register(registry);
        bytes = Counter.builder().name("netra_tcp_bytes_total")
                .help("Bytes forwarded, by flow: to_upstream (client to destination) or to_client, and original destination")
                .labelNames("direction", "flow", "destination").register(registry);
        failures = Counter.builder().name("netra_tcp_connect_failures_total")
                .help("Connects to the original destination that failed, by reason and original destination")
                .labelNames("direction", "reason", "destination").register(registry);
        Counter rejected = Counter.builder().name("netra_tcp_connections_rejected_total")
                .help("Accepted connections closed without proxying, by reason")
                .labelNames("reason").register(registry);
        Counter limit = Counter.builder().name("netra_tcp_connection_limit_hits_total")
                .help("Times the listener waited because NETRA_MAX_CONNECTIONS connections were open")
                .register(registry);
        for (Direction d : Direction.values()) {
            closed[d.ordinal()] = closedCounter.labelValues(d.label());
            active[d.ordinal()] = activeGauge.labelValues(d.label());
        }
        for (Rejection r : Rejection.values()) {
            rejections.put(r, rejected.labelValues(r.label()));
        }
        limitHits = limit.labelValues();
        Counter accepts = Counter.builder().name("netra_tcp_accept_errors_total")
                .help("Failed accepts of intercepted connections, by errno; the listener backs off and goes on")
                .labelNames("reason").register(registry);
        for (AcceptError a : AcceptError.values()) {
            acceptErrors.put(a, accepts.labelValues(a.label()));
        }
        Counter timedOut = Counter.builder().name("netra_tcp_timeouts_total")
                .help("Connections closed by netra because they waited longer than a timeout allows, by timeout")
                .labelNames("timeout").register(registry);
        for (Timeout t : Timeout.values()) {
            timeouts.put(t, timedOut.labelValues(t.label()));
        }
        largeBufferLimitHits = Counter.builder().name("netra_tcp_large_buffer_limit_hits_total")
                .help("Bulk flows denied a large buffer because all were in use (once per flow)")
                .register(registry).labelValues();
        splicedFlows = Counter.builder().name("netra_tcp_spliced_flows_total")
                .help("Bulk raw directions moved by the kernel through a pipe (splice) instead of copied")
                .register(registry).labelValues();
        spliceLimitHits = Counter.builder().name("netra_tcp_splice_limit_hits_total")
                .help("Bulk raw directions copied because no pipe could be had: all in use, or the kernel refused one")
                .register(registry).labelValues();
        platformThreadConnections = Counter.builder().name("netra_tcp_platform_thread_connections_total")
                .help("Connections that started on platform threads (at most NETRA_PLATFORM_THREAD_CONNECTIONS open)")
                .register(registry).labelValues();
        movesToVirtualThreads = Counter.builder().name("netra_tcp_virtual_thread_moves_total")
                .help("Directions moved from a platform thread to a virtual thread: more connections opened, or a bulk flow went to splice")
                .register(registry).labelValues();
        Counter protocols = Counter.builder().name("netra_tcp_protocols_detected_total")
                .help("Connections whose protocol the detect stage told from the client's first bytes, by protocol")
                .labelNames("protocol").register(registry);
        for (dev.netra.sidecar.detect.Protocol p : dev.netra.sidecar.detect.Protocol.values()) {
            detected.put(p, protocols.labelValues(p.label()));
        }
        httpFallbacks = Counter.builder().name("netra_http_fallbacks_total")
                .help("Connections whose HTTP stopped being parsed and went on as raw bytes, by reason")
                .labelNames("direction", "reason").register(registry);
        Counter ex = Counter.builder().name("netra_http_exchanges_total")
                .help("HTTP exchanges seen, by how they ended").labelNames("direction", "end").register(registry);
        for (Direction d : Direction.values()) {
            Map<Exchange.End, CounterDataPoint> byEnd = new EnumMap<>(Exchange.End.class);
            for (Exchange.End end : Exchange.End.values()) {
                byEnd.put(end, ex.labelValues(d.label(), end.name().toLowerCase(Locale.ROOT)));
            }
            exchanges.put(d, byEnd);
        }
    }

    /** Counts one verdict of the detect stage. */
    public void detected(dev.netra.sidecar.detect.Protocol p) {
        detected.get(p).inc();
    }

    /** The first offered ALPN protocols that get a label of their own; others are "other", none "none". */
    private static final List<String> ALPN = List.of("h2", "http/1.1", "http/1.0", "h3");

    /** Counts a TLS connection by the name it asked for (bounded as {@link Destinations}) and its preferred protocol. */
    public void tlsHello(Direction direction, dev.netra.sidecar.detect.ClientHello hello) {
        int name = hello.serverName() == null ? destinations.other() + 1 : destinations.of(hello.serverName());
        String first = hello.alpn().isEmpty() ? null : hello.alpn().getFirst();
        int alpn = first == null ? ALPN.size() + 1 : ALPN.contains(first) ? ALPN.indexOf(first) : ALPN.size();
        slot(tlsPoints, (direction.ordinal() * (destinations.other() + 2) + name) * (ALPN.size() + 2) + alpn, () ->
                tlsHellos.labelValues(direction.label(), name == destinations.other() + 1 ? "none" : destinations.label(name),
                        first == null ? "none" : alpn == ALPN.size() ? "other" : first))
                .inc();
    }

    public long detectedCount(dev.netra.sidecar.detect.Protocol p) {
        return detected.get(p).getLongValue();
    }

    /** Counts a switch from HTTP to raw forwarding; reasons are the parser's fixed messages. */
    public void httpFallback(Direction direction, String reason) {
        httpFallbacks.labelValues(direction.label(), reason).inc();
    }

    /** Counts every finished exchange. */
    public ExchangeListener exchangeCounter() {
        return e -> exchanges.get(e.direction()).get(e.end()).inc();
    }

    public long exchangeCount(Direction direction, Exchange.End end) {
        return exchanges.get(direction).get(end).getLongValue();
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Bytes forwarded so far, both directions and flows: a cheap sign of activity. */
    public long bytesForwarded() {
        long n = 0;
        for (Direction d : Direction.values()) {
            n += bytes(d, true) + bytes(d, false);
        }
        return n;
    }

    /** Connections opened so far in {@code direction}, to every destination. */
    public long opened(Direction direction) {
        return sum(direction, m -> m.opened().getLongValue());
    }

    /** Bytes forwarded so far in {@code direction}, to every destination, towards the upstream or the client. */
    public long bytes(Direction direction, boolean toUpstream) {
        return sum(direction, m -> (toUpstream ? m.bytesToUpstream() : m.bytesToClient()).getLongValue());
    }

    /** Connects that failed for {@code reason} so far in {@code direction}, to every destination. */
    public long connectFailures(Direction direction, ConnectFailure reason) {
        return sum(direction, m -> m.connectFailures(reason));
    }

    private long sum(Direction direction, java.util.function.ToLongFunction<ConnectionMetrics> value) {
        long n = 0;
        for (int i = 0; i <= destinations.other(); i++) {
            ConnectionMetrics m = byDestination.get(direction.ordinal() * (destinations.other() + 1) + i);
            n += m == null ? 0 : value.applyAsLong(m);
        }
        return n;
    }

    /** Connections open now in {@code direction}. */
    public double active(Direction direction) {
        return active[direction.ordinal()].get();
    }

    /** The data points of a connection in {@code direction} to {@code destination} (its original destination). */
    public ConnectionMetrics of(Direction direction, java.net.InetSocketAddress destination) {
        return of(direction, destinations.of(destination));
    }

    /** The data points of a connection whose destination is not labelled ("other"): for tests and tools. */
    public ConnectionMetrics of(Direction direction) {
        return of(direction, destinations.other());
    }

    private ConnectionMetrics of(Direction direction, int destination) {
        return slot(byDestination, direction.ordinal() * (destinations.other() + 1) + destination, () -> {
            String d = direction.label();
            String dest = destinations.label(destination);
            return new ConnectionMetrics(opened.labelValues(d, dest), closed[direction.ordinal()], active[direction.ordinal()],
                    bytes.labelValues(d, "to_upstream", dest), bytes.labelValues(d, "to_client", dest), failures, d, dest);
        });
    }

    /**
     * The element at {@code i}, made by {@code make} the first time it is asked for. Two threads may
     * both make it; one is kept, and the labelled points they hold are the same ones (labelValues
     * returns the point it made before).
     */
    private static <T> T slot(java.util.concurrent.atomic.AtomicReferenceArray<T> slots, int i, java.util.function.Supplier<T> make) {
        T v = slots.get(i);
        if (v == null) {
            slots.compareAndSet(i, null, make.get());
            v = slots.get(i);
        }
        return v;
    }

    public void rejected(Rejection reason) {
        rejections.get(reason).inc();
    }

    public void acceptError(AcceptError reason) {
        acceptErrors.get(reason).inc();
    }

    public long acceptErrors(AcceptError reason) {
        return acceptErrors.get(reason).getLongValue();
    }

    public void timedOut(Timeout t) {
        timeouts.get(t).inc();
    }

    public long timeouts(Timeout t) {
        return timeouts.get(t).getLongValue();
    }

    public void connectionLimitHit() {
        limitHits.inc();
    }

    public void largeBufferLimitHit() {
        largeBufferLimitHits.inc();
    }

    public long largeBufferLimitHits() {
        return largeBufferLimitHits.getLongValue();
    }

    public void spliced() {
        splicedFlows.inc();
    }

    public long splicedFlows() {
        return splicedFlows.getLongValue();
    }

    public void spliceLimitHit() {
        spliceLimitHits.inc();
    }

    public long spliceLimitHits() {
        return spliceLimitHits.getLongValue();
    }

    public void platformThreadConnection() {
        platformThreadConnections.inc();
    }

    public long platformThreadConnections() {
        return platformThreadConnections.getLongValue();
    }

    public void movedToVirtualThread() {
        movesToVirtualThreads.inc();
    }

    public long movesToVirtualThreads() {
        return movesToVirtualThreads.getLongValue();
    }

    public long rejectedCount(Rejection reason) {
        return rejections.get(reason).getLongValue();
    }

    public long connectionLimitHits() {
        return limitHits.getLongValue();
    }
}
