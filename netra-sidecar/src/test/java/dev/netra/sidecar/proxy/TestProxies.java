package dev.netra.sidecar.proxy;

import dev.netra.sidecar.Main;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.metrics.ProxyMetrics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/** A listener on loopback for tests, configured from a map, with the original destination the test gives. */
final class TestProxies {
    private TestProxies() {
    }

    /** A started listener whose every connection was bound for {@code target}; its address is {@link #address}. */
    static Listener start(Map<String, String> env, ProxyMetrics metrics, Supplier<InetSocketAddress> target) throws IOException {
        SidecarConfig config = SidecarConfig.from(env, List.of("--service-name", "test"));
        Listener listener = new Listener(config, metrics, ch -> Optional.ofNullable(target.get()),
                Main.httpSettings(config, metrics, new RequestIdEdits("X-Request-Id", "X-Source", "netra"), List.of()), null);
        listener.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return listener;
    }

    /**
     * A started listener that edits no header (so every byte must arrive as sent), with routing
     * on when {@code routing}; never on the port of {@code target} (that would be a loop).
     */
    static Listener startTransparent(Map<String, String> env, ProxyMetrics metrics, InetSocketAddress target,
                                     boolean routing) throws IOException {
        Map<String, String> all = new java.util.HashMap<>(env);
        if (routing) {
            all.put("NETRA_HTTP_ROUTING_ENABLED", "true");
            all.putIfAbsent("NETRA_HTTP_ROUTING_ALLOWED_TARGETS", "127.0.0.0/8");
        }
        SidecarConfig config = SidecarConfig.from(all, List.of("--service-name", "test"));
        java.util.concurrent.ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().factory());
        dev.netra.sidecar.routing.Router router = routing
                ? new dev.netra.sidecar.routing.Router(config, metrics.registry(), timer) : null;
        dev.netra.sidecar.http.HeaderEdits edits = router != null ? router.edits() : (h, e, ed) -> { };
        for (int attempt = 0; ; attempt++) {
            Listener listener = new Listener(config, metrics, ch -> Optional.of(target),
                    Main.httpSettings(config, metrics, edits, List.of()), router);
            listener.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (((InetSocketAddress) listener.localAddress()).getPort() != target.getPort() || attempt == 5) {
                return listener;
            }
            listener.close();
        }
    }

    static InetSocketAddress address(Listener listener) throws IOException {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), ((InetSocketAddress) listener.localAddress()).getPort());
    }
}
