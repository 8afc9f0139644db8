package dev.netra.sidecar.routing;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.config.AddressRange;
import dev.netra.sidecar.config.RouteTarget;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.Cookies;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.HeaderEditor;
import dev.netra.sidecar.http.HeaderEditor.HeaderName;
import dev.netra.sidecar.http.HeaderEdits;
import dev.netra.sidecar.http.HttpHead;
import dev.netra.sidecar.http.RequestIdStore;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.tinylog.Logger;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * netramesh's header and cookie routing. An outbound request whose routing value
 * ({@code host1=host2,host3=host4}, from the cookie when enabled, else the header) maps its Host
 * goes to the mapped target; inbound requests are never re-routed, but their routing value is
 * remembered by request id and added to the app's outbound requests with the same id.
 */
public final class Router {
    private final HeaderName header;
    private final byte[] headerLower;
    private final boolean cookieEnabled;
    private final String cookieName;
    private final boolean rewriteHost;
    private final List<RouteTarget> allowed;
    private final List<AddressRange> trustedSources;
    /** The sidecar's own ports: never a target, whatever the allowlist says. */
    private final Set<Integer> ownPorts;
    private final RequestIdStore<String> store;
    private final CounterDataPoint routed;
    private final CounterDataPoint notAllowed;
    private final CounterDataPoint dialFailed;
    private final CounterDataPoint untrusted;
    private static final HeaderName HOST = HeaderName.of("Host");
    private static final byte[] COOKIE = HttpHead.bytes("cookie");

    public Router(SidecarConfig config, PrometheusRegistry registry, ScheduledExecutorService timer) {
        this.header = HeaderName.of(config.routing().header());
        this.headerLower = header.lower();
        this.cookieEnabled = config.routing().cookieEnabled();
        this.cookieName = config.routing().cookieName();
        this.rewriteHost = config.routing().rewriteHost();
        this.allowed = config.routing().allowedTargets();
        this.trustedSources = config.routing().trustedSources();
        this.ownPorts = Set.of(config.proxy().port(), config.admin().prometheusPort(), config.admin().pprofPort());
        if (allowed.isEmpty()) {
            Logger.warn("NETRA_HTTP_ROUTING_ENABLED=true but NETRA_HTTP_ROUTING_ALLOWED_TARGETS is empty: no request is"
                    + " re-routed until targets are allowed (docs/routing.md)");
        }
        this.store = new RequestIdStore<>(config.routing().maxEntries(), RequestIdStore.MAX_BYTES,
                config.routing().contextExpiration(), v -> 40 + 2 * v.length());
        long sweep = config.routing().contextCleanupInterval().toMillis();
        timer.scheduleWithFixedDelay(store::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
        Counter routes = Counter.builder().name("netra_routing_requests_total")
                .help("Requests with a route: sent to the target, refused by the allowlist, answered 502, or (inbound)"
                        + " from a source not in NETRA_HTTP_ROUTING_TRUSTED_SOURCES, so not remembered")
                .labelNames("result").register(registry);
        this.routed = routes.labelValues("routed");
        this.notAllowed = routes.labelValues("not_allowed");
        this.dialFailed = routes.labelValues("dial_failed");
        this.untrusted = routes.labelValues("untrusted_source");
    }

    /** The request-id to routing-value store, for its metrics. */
    public RequestIdStore<?> contexts() {
        return store;
    }

    /** Counts a routed target that could not be reached (answered 502). */
    public void dialFailed() {
        dialFailed.inc();
    }

    /** The header edit: remembers inbound values, carries them to outbound requests, and picks the upstream. */
    public HeaderEdits edits() {
        return this::route;
    }

    private void route(HttpHead head, Exchange e, HeaderEditor editor) {
        String value = value(head);
        if (e.direction() == Direction.INBOUND) {
            if (value != null && e.requestId() != null) {
                if (trusted(e.client())) {
                    store.put(e.requestId(), value);
                } else {
                    untrusted.inc();
                }
            }
            return;
        }
        if (value == null && e.requestId() != null) {
            value = store.get(e.requestId());
            if (value != null) {
                editor.set(header, value);
            }
        }
        if (value == null || e.host() == null || e.destination() == null) {
            return;
        }
        String host = hostWithoutPort(e.host()).toLowerCase(Locale.ROOT);
        String target = Routes.lookup(value, host);
        if (target == null) {
            return;
        }
        String targetHost = hostWithoutPort(target);
        int port = target.length() > targetHost.length() ? parsePort(target.substring(targetHost.length() + 1))
                : e.destination().getPort();
        if (port <= 0) {
            Logger.debug("route {} -> {} has a bad port: ignored", host, target);
            return;
        }
        if (ownPorts.contains(port)) {
            notAllowed.inc();
            Logger.debug("route {} -> {} goes to one of the sidecar's own ports: ignored", host, target);
            return;
        }
        if (!isAllowed(bare(targetHost).toLowerCase(Locale.ROOT), port)) {
            notAllowed.inc();
            Logger.debug("route {} -> {} is not in NETRA_HTTP_ROUTING_ALLOWED_TARGETS: ignored", host, target);
            return;
        }
        routed.inc();
        e.upstream(InetSocketAddress.createUnresolved(targetHost, port));
        if (rewriteHost) {
            editor.set(HOST, target);
        }
    }

    private boolean isAllowed(String host, int port) {
        for (RouteTarget a : allowed) {
            if (a.allows(host, port)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an inbound request's routing value may steer the app's calls: its source is trusted. */
    private boolean trusted(InetSocketAddress client) {
        if (client == null || client.getAddress() == null) {
            return false;
        }
        for (AddressRange r : trustedSources) {
            if (r.contains(client.getAddress())) {
                return true;
            }
        }
        return false;
    }

    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The cookie (when enabled and present) wins over the header. */
    private String value(HttpHead head) {
        if (cookieEnabled) {
            for (int i = 0; i < head.headerCount(); i++) {
                if (head.nameIs(i, COOKIE)) {
                    String v = Cookies.find(head.value(i), cookieName);
                    if (v != null) {
                        return v;
                    }
                }
            }
        }
        return head.value(headerLower);
    }

    static String hostWithoutPort(String hostPort) {
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            return end < 0 ? hostPort : hostPort.substring(0, end + 1);
        }
        int colon = hostPort.lastIndexOf(':');
        return colon < 0 || hostPort.indexOf(':') != colon ? hostPort : hostPort.substring(0, colon);
    }

    private static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s);
            return p >= 1 && p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
