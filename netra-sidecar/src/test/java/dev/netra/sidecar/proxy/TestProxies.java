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
                Main.httpSettings(config, metrics, Executors.newSingleThreadScheduledExecutor(),
                        new RequestIdEdits("X-Request-Id", "X-Source", "netra"), List.of()), null);
        listener.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return listener;
    }

    static InetSocketAddress address(Listener listener) throws IOException {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), ((InetSocketAddress) listener.localAddress()).getPort());
    }
}
