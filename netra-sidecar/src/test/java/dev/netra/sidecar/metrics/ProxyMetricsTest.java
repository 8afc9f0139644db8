package dev.netra.sidecar.metrics;

import dev.netra.sidecar.Direction;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyMetricsTest {

    @Test
    void connectionsAndBytesAreLabelledByOriginalDestinationWithinTheLimit() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        ProxyMetrics metrics = new ProxyMetrics(registry, new Destinations(3, registry));
        for (int i = 1; i <= 20; i++) {
            ProxyMetrics.ConnectionMetrics m = metrics.of(Direction.OUTBOUND,
                    new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) i}), 5432));
            m.opened().inc();
            m.bytesToUpstream().inc(100);
            if (i == 2) {
                m.connectFailed(ProxyMetrics.ConnectFailure.REFUSED);
            }
        }
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("fd00::1"), 80);
        assertSame(metrics.of(Direction.INBOUND, v6), metrics.of(Direction.INBOUND, v6), "resolved once per label set");
        String text = Scrapes.text(registry);
        assertTrue(text.contains("netra_tcp_connections_opened_total{destination=\"10.0.0.1:5432\",direction=\"outbound\"} 1.0"), text);
        assertTrue(text.contains("netra_tcp_connections_opened_total{destination=\"other\",direction=\"outbound\"} 17.0"), text);
        assertTrue(text.contains("netra_tcp_bytes_total{destination=\"10.0.0.3:5432\",direction=\"outbound\",flow=\"to_upstream\"} 100.0"), text);
        assertTrue(text.contains("netra_tcp_connect_failures_total{destination=\"10.0.0.2:5432\",direction=\"outbound\",reason=\"refused\"} 1.0"), text);
        assertEquals(1, text.lines().filter(l -> l.startsWith("netra_tcp_connect_failures_total{")).count(),
                "a failure reason is labelled when it happens, not for every destination");
        assertEquals(20, metrics.opened(Direction.OUTBOUND));
        assertEquals(2000, metrics.bytes(Direction.OUTBOUND, true));
        assertEquals(1, metrics.connectFailures(Direction.OUTBOUND, ProxyMetrics.ConnectFailure.REFUSED));
        assertTrue(text.contains("netra_metrics_destinations_overflow_total 19.0"), "17 outbound and the IPv6 one twice: " + text);
    }
}
