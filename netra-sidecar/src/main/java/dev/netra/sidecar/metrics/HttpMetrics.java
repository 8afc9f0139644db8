package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;


/**
 * The golden signals of HTTP traffic: requests, latency and sizes by direction, method, status,
 * original-destination port and destination (the request's authority, {@link Destinations}).
 * Labels are bounded by construction: nine methods and "other"; the registered status codes, any
 * other code as "other" within its class; at most {@value #MAX_PORTS} ports and "other"; the
 * destinations' limit; and at most {@value #MAX_SERIES} label combinations in all, after which new
 * combinations are counted under one overflow series per direction and class (method, code, port
 * and destination "other") and in {@code netra_metrics_overflow_total}. An upstream that answers
 * with every code from 100 to 599 therefore adds a few series, not thousands. The data points for a
 * label combination are resolved once and then only incremented. With NETRA_METRICS_OTEL_NAMES,
 * OpenTelemetry's {@code http.server.request.duration} (inbound) and {@code http.client.request.duration}
 * (outbound) are observed too, under the same bounds.
 */
public final class HttpMetrics implements ExchangeListener {
    static final int MAX_PORTS = 32;
    /** Label combinations (each a counter and a histogram series) before the overflow series take over. */
    static final int MAX_SERIES = 1000;
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other"};
    private static final String OTHER = "other";
    private static final String[] PROTOCOLS = {"http1", "http2"};
    /** Status 0 (no response), 100..599, and 600 + class for an unregistered code of that class. */
    private static final int CODES = 606;
    /** The status codes registered with IANA: each gets its own label value. */
    private static final boolean[] REGISTERED = new boolean[600];
    /** OpenTelemetry's advised buckets for the HTTP duration histograms. */
    private static final double[] OTEL_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};

    static {
        int[][] ranges = {{100, 103}, {200, 208}, {226, 226}, {300, 308}, {400, 418}, {421, 426}, {428, 429},
                {431, 431}, {451, 451}, {500, 508}, {510, 511}};
        for (int[] r : ranges) {
            for (int c = r[0]; c <= r[1]; c++) {
                REGISTERED[c] = true;
            }
        }
        REGISTERED[306] = false; // unused
    }

    /** gRPC's status codes by name (grpc/grpc doc/statuscodes.md); "none" when a call ended without one. */
    static final String[] GRPC_CODES = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
            "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED", "other", "none"};

    private final Counter requests;
    private final Counter grpcCalls;
    /** (direction, gRPC code, destination) -> its point; bounded like the HTTP series. */
    private final SeriesTable<CounterDataPoint> grpcPoints = new SeriesTable<>(MAX_SERIES);
    private final Histogram duration;
    private final Histogram otelServer;
    private final Histogram otelClient;
    private final DistributionDataPoint[] requestBytes = new DistributionDataPoint[2];
    private final DistributionDataPoint[] responseBytes = new DistributionDataPoint[2];
    private final Destinations destinations;
    /** Port to label index + 1 (0 = not seen yet); bytes, so a lookup never boxes. */
    private final byte[] portIndex = new byte[65536];
    private int portsSeen;
    private final String[] portLabels = new String[MAX_PORTS + 1];
    /** {@link #key} of a label combination -> its points. */
    private final SeriesTable<Points> points = new SeriesTable<>(MAX_SERIES);

    /** @param otel the OpenTelemetry-named histogram's point, or null when NETRA_METRICS_OTEL_NAMES is off */
    private record Points(CounterDataPoint requests, DistributionDataPoint duration, DistributionDataPoint otel) {
    }

    /** [direction][class 0..5]: where combinations past {@link #MAX_SERIES} are counted. */
    private final Points[][] overflow = new Points[2][6];
    private final CounterDataPoint[] overflowed = new CounterDataPoint[2];

    /** With its own destinations (the default limit) and netra's names only: for tests. */
    public HttpMetrics(PrometheusRegistry registry) {
        this(registry, new Destinations(dev.netra.sidecar.config.MetricsConfig.DEFAULT.maxDestinations(), registry), false);
    }

    /** @param otelNames NETRA_METRICS_OTEL_NAMES */
    public HttpMetrics(PrometheusRegistry registry, Destinations destinations, boolean otelNames) {
        this.destinations = destinations;
        requests = Counter.builder().name("netra_http_requests_total")
                .help("HTTP requests, by direction, method, status class and code, original-destination port, destination"
                        + " and protocol (http1, http2)")
                .labelNames("direction", "method", "code_class", "code", "port", "destination", "protocol").register(registry);
        duration = Histogram.builder().name("netra_http_request_duration_seconds")
                .help("From the request head to the end of the response, as netra saw it")
                .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
                .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                        1, 2.5, 5, 10)
                .labelNames("direction", "method", "code_class", "port", "destination", "protocol").register(registry);
        if (otelNames) {
            otelServer = Histogram.builder().name("http_server_request_duration_seconds")
                    .help("OpenTelemetry http.server.request.duration: inbound requests, as netra saw them")
                    .classicOnly().classicUpperBounds(OTEL_BUCKETS)
                    .labelNames("http_request_method", "http_response_status_code", "error_type", "url_scheme")
                    .register(registry);
            otelClient = Histogram.builder().name("http_client_request_duration_seconds")
                    .help("OpenTelemetry http.client.request.duration: outbound requests, as netra saw them")
                    .classicOnly().classicUpperBounds(OTEL_BUCKETS)
                    .labelNames("http_request_method", "http_response_status_code", "error_type", "server_address",
                            "server_port", "url_scheme")
                    .register(registry);
        } else {
            otelServer = null;
            otelClient = null;
        }
        grpcCalls = Counter.builder().name("netra_grpc_calls_total")
                .help("gRPC calls (HTTP/2 requests of content-type application/grpc), by direction, the status their"
                        + " trailers carried (\"none\" when the call ended without one) and destination")
                .labelNames("direction", "grpc_code", "destination").register(registry);
        Histogram reqBytes = Histogram.builder().name("netra_http_request_body_bytes")
                .help("Request body sizes").classicOnly()
                .classicExponentialUpperBounds(64, 4, 10).labelNames("direction").register(registry);
        Histogram resBytes = Histogram.builder().name("netra_http_response_body_bytes")
                .help("Response body sizes").classicOnly()
                .classicExponentialUpperBounds(64, 4, 10).labelNames("direction").register(registry);
        for (Direction d : Direction.values()) {
            requestBytes[d.ordinal()] = reqBytes.labelValues(d.label());
            responseBytes[d.ordinal()] = resBytes.labelValues(d.label());
        }
        portLabels[MAX_PORTS] = OTHER;
        Counter overflows = Counter.builder().name("netra_metrics_overflow_total")
                .help("HTTP exchanges counted under an overflow series: " + MAX_SERIES + " label combinations were in use")
                .labelNames("direction").register(registry);
        for (Direction d : Direction.values()) {
            overflowed[d.ordinal()] = overflows.labelValues(d.label());
        }
    }

    @Override
    public void onExchange(Exchange e) {
        int d = e.direction().ordinal();
        int status = e.status() < 100 || e.status() >= 600 ? 0 : REGISTERED[e.status()] ? e.status() : 600 + e.status() / 100;
        int destination = e.host() != null ? destinations.of(e.host()) : destinations.of(e.destination());
        Points p = points(d, method(e.method()), port(e.destination() == null ? 0 : e.destination().getPort()),
                destination, status, e.http2() ? 1 : 0);
        p.requests().inc();
        grpc(e, d, destination);
        if (e.end() == Exchange.End.COMPLETE) {
            double seconds = (e.responseEndNanos() - e.requestHeadNanos()) / 1e9;
            p.duration().observe(seconds);
            if (p.otel() != null) {
                p.otel().observe(seconds);
            }
            requestBytes[d].observe(e.requestBodyBytes());
            responseBytes[d].observe(e.responseBodyBytes());
        }
    }

    private void grpc(Exchange e, int direction, int destination) {
        if (!e.grpc()) {
            return;
        }
        int s = e.grpcStatus();
        int code = s < 0 ? GRPC_CODES.length - 1 : Math.min(s, GRPC_CODES.length - 2);
        long key = code | (long) direction << 5 | (long) destination << 6;
        CounterDataPoint point = grpcPoints.get(key);
        if (point == null) {
            point = grpcPoints.computeIfAbsent(key, () -> grpcCalls.labelValues(Direction.values()[direction].label(),
                    GRPC_CODES[code], destinations.label(destination)));
            if (point == null) { // past the bound: counted without its destination
                point = grpcCalls.labelValues(Direction.values()[direction].label(), GRPC_CODES[code], OTHER);
            }
        }
        point.inc();
    }

    /** Direction (1 bit), method (4), port (6), status (10), protocol (1) and destination, in one long. */
    private static long key(int direction, int method, int port, int destination, int status, int protocol) {
        return status | (long) port << 10 | (long) method << 16 | (long) direction << 20 | (long) protocol << 21
                | (long) destination << 22;
    }

    private Points points(int direction, int method, int port, int destination, int status, int protocol) {
        long key = key(direction, method, port, destination, status, protocol);
        Points p = points.get(key);
        if (p == null) { // labels are made only for a combination not seen yet
            p = points.computeIfAbsent(key, () -> newPoints(direction, METHODS[method],
                    status == 0 ? "none" : status >= 600 ? OTHER : Integer.toString(status), status, portLabels[port],
                    destinations.label(destination), PROTOCOLS[protocol]));
        }
        return p != null ? p : overflow(direction, status);
    }

    /** Past {@link #MAX_SERIES}: the direction's series for the status class, made when first needed (a sidecar within bounds shows none). */
    private Points overflow(int direction, int status) {
        overflowed[direction].inc();
        int codeClass = codeClass(status);
        synchronized (overflow) {
            Points o = overflow[direction][codeClass];
            if (o == null) {
                // the class's own "other" code (no response: none), for the OpenTelemetry names too
                o = newPoints(direction, OTHER, OTHER, codeClass == 0 ? 0 : 600 + codeClass, OTHER, OTHER, OTHER);
                overflow[direction][codeClass] = o;
            }
            return o;
        }
    }

    /** The data points of one label combination; {@code status} as {@link #onExchange} folds it. */
    private Points newPoints(int direction, String method, String code, int status, String port, String destination,
                             String protocol) {
        String dir = Direction.values()[direction].label();
        int codeClass = codeClass(status);
        String codeClassLabel = codeClass == 0 ? "none" : codeClass + "xx";
        return new Points(requests.labelValues(dir, method, codeClassLabel, code, port, destination, protocol),
                duration.labelValues(dir, method, codeClassLabel, port, destination, protocol),
                otel(direction, method, status, destination, port));
    }

    /** 0 for no response, else the status class 1..5 (an unregistered code is 600 + its class). */
    private static int codeClass(int status) {
        return status == 0 ? 0 : status >= 600 ? status - 600 : status / 100;
    }

    /**
     * The OpenTelemetry histogram's point for these labels, or null when that option is off. As the
     * semantic conventions ask: a method netra does not label is "_OTHER"; no response leaves the
     * code empty with error_type "_OTHER"; a 5xx sets error_type to the code. An unregistered code
     * is "_OTHER", as in netra's own metric it is "other".
     */
    private DistributionDataPoint otel(int direction, String method, int status, String destination, String port) {
        if (otelServer == null) {
            return null;
        }
        String m = method.equals(OTHER) ? "_OTHER" : method;
        String code = status == 0 ? "" : status >= 600 ? "_OTHER" : Integer.toString(status);
        String error = status == 0 ? "_OTHER" : status >= 500 && status < 600 || status == 605 ? code : "";
        if (direction == Direction.INBOUND.ordinal()) {
            return otelServer.labelValues(m, code, error, "http");
        }
        int colon = destination.lastIndexOf(':');
        String address = colon > 0 && destination.indexOf(']') < colon ? destination.substring(0, colon) : destination;
        return otelClient.labelValues(m, code, error, address, port, "http");
    }

    private static int method(String m) {
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i] == m || METHODS[i].equals(m)) {
                return i;
            }
        }
        return METHODS.length - 1;
    }

    /** The label index of a port: the first {@value #MAX_PORTS} ports seen get their own, the rest "other". */
    private int port(int port) {
        int known = portIndex[port];
        if (known != 0) {
            return known - 1;
        }
        // A racy read of 0 only sends a request here, where the answer is settled under the lock.
        synchronized (portIndex) {
            if (portIndex[port] != 0) {
                return portIndex[port] - 1;
            }
            if (portsSeen >= MAX_PORTS) {
                return MAX_PORTS;
            }
            int next = portsSeen++;
            portLabels[next] = Integer.toString(port);
            portIndex[port] = (byte) (next + 1);
            return next;
        }
    }
}
