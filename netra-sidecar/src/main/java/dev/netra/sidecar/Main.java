package dev.netra.sidecar;

import dev.netra.sidecar.admin.AdminServer;
import dev.netra.sidecar.config.ConfigException;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.ExchangeListener;
import dev.netra.sidecar.http.HeaderEdits;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.http.RequestIdStoreMetrics;
import dev.netra.sidecar.admin.ProfilingServer;
import dev.netra.sidecar.metrics.Destinations;
import dev.netra.sidecar.metrics.HttpMetrics;
import dev.netra.sidecar.metrics.LabelledRegistry;
import dev.netra.sidecar.metrics.ProxyMetrics;
import dev.netra.sidecar.metrics.RuntimeMetrics;
import dev.netra.sidecar.metrics.StatsdReporter;
import dev.netra.sidecar.observe.AccessLog;
import dev.netra.sidecar.observe.Tap;
import dev.netra.sidecar.routing.Router;
import dev.netra.sidecar.trace.Tracing;
import dev.netra.sidecar.trace.TracingStartup;
import dev.netra.sidecar.proxy.Listener;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.netra.sidecar.log.Logging;
import dev.netra.sidecar.log.LogGate;
import org.tinylog.Logger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

/** Entry point of {@code netra sidecar}: wiring only. */
public final class Main {
    /** Exit code for a configuration error (EX_USAGE). */
    public static final int EXIT_CONFIG = 64;
    /** How long without a forwarded byte, after activity, before memory is given back. */
    private static final Duration IDLE_TRIM_PERIOD = Duration.ofSeconds(10);
    /**
     * How long a request head that arrives during start-up waits for tracing to come up before it
     * goes on without a span (counted): tracing takes a few hundred milliseconds on a slow start.
     */
    private static final Duration TRACING_START_WAIT = Duration.ofSeconds(5);

    static final String USAGE = """
            usage: netra sidecar --service-name NAME

            Transparent proxy for the connections that netra-init redirects to NETRA_PORT.
            Configured through environment variables (netramesh's names); see docs/configuration.md.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        Warmup warmup = Warmup.start();
        SidecarConfig config;
        try {
            config = SidecarConfig.from(System.getenv(), List.of(args));
        } catch (ConfigException e) {
            System.err.println("netra sidecar: configuration error: " + e.getMessage());
            System.exit(EXIT_CONFIG);
            return;
        }
        long started = System.nanoTime();
        Logging.configure(config);
        warmup.loggingConfigured();
        // Nothing logs until the listener accepts: tinylog's first line costs 45-80 ms (its
        // provider, the time-zone database, locale data), which redirected connections would wait for.
        PrometheusRegistry registry = new PrometheusRegistry();
        Destinations destinations = new Destinations(config.admin().metrics().maxDestinations(), registry);
        ProxyMetrics metrics = new ProxyMetrics(registry, destinations);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("netra-timer").daemon().factory());
        // Tracing and the JVM metrics take most of start-up (SDK, exporter, MXBeans): they come up
        // in the background while the listener already accepts; a request head that comes first
        // waits for tracing (TracingStartup), and /ready waits for it too, so no exchange goes untraced.
        RuntimeMetrics.SpanCounters spanCounters = RuntimeMetrics.SpanCounters.register(registry);
        TracingStartup tracing = new TracingStartup(spanCounters, TRACING_START_WAIT);
        // Spans end first, before the exchange's buffers are reused.
        List<ExchangeListener> listeners = new ArrayList<>(List.of(tracing.listener(), new HttpMetrics(registry, destinations,
                config.admin().metrics().otelNames())));
        if (config.admin().statsdEnabled()) {
            listeners.add(new StatsdReporter(config.admin().statsdPrefix(), config.admin().statsdAddress()));
        }
        Tap tap = new Tap(registry);
        listeners.add(tap);
        if (!config.admin().accessLog().equals("off")) {
            AccessLog accessLog = new AccessLog(config.admin().accessLog().equals("json"), System.out, registry);
            listeners.add(accessLog);
            Runtime.getRuntime().addShutdownHook(new Thread(accessLog::close, "netra-access-log-flush"));
        }
        HeaderEdits edits = new RequestIdEdits(config.http().requestIdHeader(), config.http().xSourceHeader(), config.http().xSourceValue());
        Router router = config.routing().enabled() ? new Router(config, registry, timer) : null;
        RequestIdStoreMetrics stores = new RequestIdStoreMetrics(registry);
        if (router != null) {
            edits = edits.andThen(router.edits());
            stores.add("routing", router.contexts());
        }
        edits = edits.andThen(tracing.edits());
        Listener listener = new Listener(config, metrics, httpSettings(config, metrics, edits, listeners), router);
        AdminServer admin;
        ProfilingServer profiling = null;
        try {
            // Intercepted connections first: the admin and profiling servers take ~30 ms to start,
            // and until the listener accepts, the pod's redirected connections are refused.
            Binding.retrying("NETRA_PORT", config.proxy().port(), listener::start);
            tracing.startInBackground(() -> new Tracing(config, spanCounters, timer, null), () -> {
                if (tracing.tracing() != null) {
                    stores.add("tracing", tracing.tracing().contexts());
                }
                RuntimeMetrics.register(registry);
                Logger.info("tracing and JVM metrics up after {} ms", (System.nanoTime() - started) / 1_000_000);
            });
            Logger.info("netra sidecar starting, config: {}", String.join(" ", config.describe()));
            Logger.info("listening for intercepted connections on {}", listener.localAddress());
            admin = Binding.retrying("NETRA_PROMETHEUS_PORT", config.admin().prometheusPort(),
                    () -> new AdminServer(config.admin().prometheusPort(), scraped(registry, config),
                            () -> listener.accepting() && tracing.up(), listener::alive));
            if (config.admin().pprofPort() != 0) {
                profiling = Binding.retrying("NETRA_PPROF_PORT", config.admin().pprofPort(),
                        () -> new ProfilingServer(config.admin().pprofBind(), config.admin().pprofPort(), tap));
            }
        } catch (IOException e) {
            Logger.error("cannot start: {}", e.toString());
            System.exit(1);
            return;
        }
        // Before /ready can answer: a stop that follows readiness always drains.
        AtomicBoolean stopping = new AtomicBoolean();
        ProfilingServer pprof = profiling;
        SignalHandler shutdown = signal -> {
            if (stopping.compareAndSet(false, true)) {
                Thread.ofPlatform().name("netra-shutdown").start(
                        () -> shutdown(config, listener, admin, pprof, tracing, signal));
            }
        };
        Signal.handle(new Signal("TERM"), shutdown);
        Signal.handle(new Signal("INT"), shutdown);
        admin.start();
        if (profiling != null) {
            profiling.start();
        }
        Logger.info("accepting in {} ms; /ready once tracing is up", (System.nanoTime() - started) / 1_000_000);
        IdleTrim.schedule(timer, metrics::bytesForwarded, listener::releaseIdleBuffers, IDLE_TRIM_PERIOD);
    }

    /** The HTTP engine's wiring: edits, listeners, fallback counting. */
    public static HttpSettings httpSettings(SidecarConfig config, ProxyMetrics metrics, HeaderEdits edits,
                                            List<ExchangeListener> more) {
        List<ExchangeListener> all = new ArrayList<>();
        all.add(metrics.exchangeCounter());
        all.addAll(more);
        all.add(e -> {
            if (LogGate.debug()) { // NETRA_LOGGER_LEVEL, or /log-level while running
                Logger.debug("{}", e);
            }
        });
        ExchangeListener[] listeners = all.toArray(ExchangeListener[]::new);
        return new HttpSettings(config.http().maxHeaderBytes(), edits,
                e -> {
                    for (ExchangeListener l : listeners) {
                        l.onExchange(e);
                    }
                },
                metrics::httpFallback);
    }

    /** What /metrics serves: the registry, with NETRA_METRICS_POD_LABELS the pod's labels on every series. */
    private static PrometheusRegistry scraped(PrometheusRegistry registry, SidecarConfig config) {
        Map<String, String> labels = config.admin().metrics().constantLabels();
        if (labels.isEmpty()) {
            return registry;
        }
        return new LabelledRegistry(registry, io.prometheus.metrics.model.snapshots.Labels.of(
                new java.util.ArrayList<>(labels.keySet()), new java.util.ArrayList<>(labels.values())));
    }

    /**
     * Stops in the order that frees the pod soonest: no new connections (the proxy port is closed
     * at once, so a new sidecar in the same network namespace can bind it), open ones drain for the
     * grace period, then the admin and profiling ports close, and only then the slow exit work
     * (the last spans exported, at most ~10 s) runs, with no port held.
     */
    private static void shutdown(SidecarConfig config, Listener listener, AdminServer admin, ProfilingServer profiling,
                                 TracingStartup tracing, Signal signal) {
        Logger.info("SIG{}: no new connections; waiting up to {} s for {} open ones",
                signal.getName(), config.proxy().shutdownGrace().toSeconds(), listener.openConnections());
        listener.stopAccepting();
        try {
            if (!listener.awaitDrained(config.proxy().shutdownGrace())) {
                Logger.info("grace period over: resetting {} connections", listener.openConnections());
                listener.abortAll();
                listener.awaitDrained(Duration.ofSeconds(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close();
        if (profiling != null) {
            profiling.close();
        }
        Tracing t = tracing.tracing();
        if (t != null) {
            t.close(); // the spans still queued are exported
        }
        Logger.info("stopped");
        try {
            org.tinylog.provider.ProviderRegistry.getLoggingProvider().shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0);
    }
}
