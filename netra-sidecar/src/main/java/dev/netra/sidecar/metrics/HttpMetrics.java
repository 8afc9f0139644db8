package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.ExchangeListener;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The golden signals of HTTP traffic: requests, latency and sizes by direction, method, status
 * and original-destination port. Labels are bounded by construction: nine methods and "other";
 * the registered status codes, any other code as "other" within its class; at most
 * {@value #MAX_PORTS} ports and "other"; and at most {@value #MAX_SERIES} label combinations in
 * all, after which new combinations are counted under one overflow series per direction and class
 * (method, code and port "other") and in {@code netra_metrics_overflow_total}. An upstream that
 * answers with every code from 100 to 599 therefore adds a few series, not thousands. The data
 * points for a label combination are resolved once and then only incremented.
 */
public final class HttpMetrics implements ExchangeListener {
    static final int MAX_PORTS = 32;
    /** Label combinations (each a counter and a histogram series) before the overflow series take over. */
    static final int MAX_SERIES = 1000;
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other"};
    private static final String OTHER = "other";
    /** Status 0 (no response), 100..599, and 600 + class for an unregistered code of that class. */
    private static final int CODES = 606;
    /** The status codes registered with IANA: each gets its own label value. */
    private static final boolean[] REGISTERED = new boolean[600];

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

    private final Counter requests;
    private final Histogram duration;
    private final DistributionDataPoint[] requestBytes = new DistributionDataPoint[2];
    private final DistributionDataPoint[] responseBytes = new DistributionDataPoint[2];
    /** Port to label index + 1 (0 = not seen yet); bytes, so a lookup never boxes. */
    private final byte[] portIndex = new byte[65536];
    private int portsSeen;
    private final String[] portLabels = new String[MAX_PORTS + 1];
    /** [direction][method][port] -> points per status code, filled as combinations appear. */
    private final AtomicReferenceArray<Points[]> points = new AtomicReferenceArray<>(2 * METHODS.length * (MAX_PORTS + 1));

    private record Points(CounterDataPoint requests, DistributionDataPoint duration) {
    }

    private final AtomicInteger series = new AtomicInteger();
    /** [direction][class 0..5]: where combinations past {@link #MAX_SERIES} are counted. */
    private final Points[][] overflow = new Points[2][6];
    private final CounterDataPoint[] overflowed = new CounterDataPoint[2];

    public HttpMetrics(PrometheusRegistry registry) {
        requests = Counter.builder().name("netra_http_requests_total")
                .help("HTTP requests, by direction, method, status class and code, and original-destination port")
                .labelNames("direction", "method", "code_class", "code", "port").register(registry);
        duration = Histogram.builder().name("netra_http_request_duration_seconds")
                .help("From the request head to the end of the response, as netra saw it")
                .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
                .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                        1, 2.5, 5, 10)
                .labelNames("direction", "method", "code_class", "port").register(registry);
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
        Points p = points(d, method(e.method()), port(e.destination() == null ? 0 : e.destination().getPort()), status);
        p.requests().inc();
        if (e.end() == Exchange.End.COMPLETE) {
            p.duration().observe((e.responseEndNanos() - e.requestHeadNanos()) / 1e9);
            requestBytes[d].observe(e.requestBodyBytes());
            responseBytes[d].observe(e.responseBodyBytes());
        }
    }

    private Points points(int direction, int method, int port, int status) {
        int slot = (direction * METHODS.length + method) * (MAX_PORTS + 1) + port;
        Points[] byStatus = points.get(slot);
        if (byStatus == null) {
            points.compareAndSet(slot, null, new Points[CODES]);
            byStatus = points.get(slot);
        }
        Points p = byStatus[status];
        if (p == null) {
            int codeClassIndex = status == 0 ? 0 : status >= 600 ? status - 600 : status / 100;
            if (series.getAndIncrement() >= MAX_SERIES) {
                series.decrementAndGet();
                overflowed[direction].inc();
                Points o = overflow[direction][codeClassIndex];
                if (o == null) { // made when first needed, so that a sidecar within bounds shows none
                    String codeClass = codeClassIndex == 0 ? "none" : codeClassIndex + "xx";
                    String dir = Direction.values()[direction].label();
                    o = new Points(requests.labelValues(dir, OTHER, codeClass, OTHER, OTHER),
                            duration.labelValues(dir, OTHER, codeClass, OTHER));
                    overflow[direction][codeClassIndex] = o;
                }
                return o;
            }
            // labelValues returns the same data point for the same labels, so a race here is harmless
            // (it may count one combination twice toward MAX_SERIES: a bound, not an exact count)
            String dir = Direction.values()[direction].label();
            String code = status == 0 ? "none" : status >= 600 ? OTHER : Integer.toString(status);
            String codeClass = status == 0 ? "none" : codeClassIndex + "xx";
            p = new Points(requests.labelValues(dir, METHODS[method], codeClass, code, portLabels[port]),
                    duration.labelValues(dir, METHODS[method], codeClass, portLabels[port]));
            byStatus[status] = p;
        }
        return p;
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
