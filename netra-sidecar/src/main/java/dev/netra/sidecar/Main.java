package dev.netra.sidecar;

import dev.netra.sidecar.admin.AdminServer;
import dev.netra.sidecar.config.ConfigException;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.ExchangeListener;
import dev.netra.sidecar.http.HeaderEdits;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.admin.ProfilingServer;
import dev.netra.sidecar.metrics.HttpMetrics;
import dev.netra.sidecar.metrics.ProxyMetrics;
import dev.netra.sidecar.metrics.RuntimeMetrics;
import dev.netra.sidecar.metrics.StatsdReporter;
import dev.netra.sidecar.routing.Router;
import dev.netra.sidecar.trace.Tracing;
import dev.netra.sidecar.proxy.Listener;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.tinylog.Logger;
import org.tinylog.configuration.Configuration;
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
import java.util.concurrent.atomic.AtomicReference;

/** Entry point of {@code netra sidecar}: wiring only. */
public final class Main {
    /** Exit code for a configuration error (EX_USAGE). */
    public static final int EXIT_CONFIG = 64;
    /** How long without a forwarded byte, after activity, before memory is given back. */
    private static final Duration IDLE_TRIM_PERIOD = Duration.ofSeconds(10);

    static final String USAGE = """
            usage: netra sidecar --service-name NAME

            Transparent proxy for the connections that netra-init redirects to NETRA_PORT.
            Configured through environment variables (netramesh's names); see README.md.
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
        configureLogging(config);
        warmup.loggingConfigured();
        // Nothing logs until the listener accepts: tinylog's first line costs 45-80 ms (its
        // provider, the time-zone database, locale data), which redirected connections would wait for.
        PrometheusRegistry registry = new PrometheusRegistry();
        ProxyMetrics metrics = new ProxyMetrics(registry);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("netra-timer").daemon().factory());
        // Tracing and the JVM metrics take most of start-up (SDK, exporter, MXBeans): they come up
        // in the background, so connections are proxied at once; exchanges before that get no span.
        AtomicReference<Tracing> tracing = new AtomicReference<>();
        RuntimeMetrics.SpanCounters spanCounters = RuntimeMetrics.SpanCounters.register(registry);
        HeaderEdits traceEdits = (head, e, editor) -> {
            Tracing t = tracing.get();
            if (t != null) {
                t.edits().edit(head, e, editor);
            }
        };
        ExchangeListener traceEnds = e -> {
            Tracing t = tracing.get();
            if (t != null) {
                t.listener().onExchange(e);
            }
        };
        // Spans end first, before the exchange's buffers are reused.
        List<ExchangeListener> listeners = new ArrayList<>(List.of(traceEnds, new HttpMetrics(registry)));
        if (config.statsdEnabled()) {
            listeners.add(new StatsdReporter(config.statsdPrefix(), config.statsdAddress()));
        }
        HeaderEdits edits = new RequestIdEdits(config.requestIdHeader(), config.xSourceHeader(), config.xSourceValue());
        Router router = config.routingEnabled() ? new Router(config, registry, timer) : null;
        if (router != null) {
            edits = edits.andThen(router.edits());
        }
        edits = edits.andThen(traceEdits);
        Listener listener = new Listener(config, metrics, httpSettings(config, metrics, timer, edits, listeners), router);
        AdminServer admin;
        try {
            // Intercepted connections first: the admin and profiling servers take ~30 ms to start,
            // and until the listener accepts, the pod's redirected connections are refused.
            listener.start();
            Logger.info("netra sidecar starting, config: {}", String.join(" ", config.describe()));
            Logger.info("listening for intercepted connections on {}", listener.localAddress());
            admin = new AdminServer(config.prometheusPort(), metrics.registry(), listener::accepting);
            admin.start();
            if (config.pprofPort() != 0) {
                new ProfilingServer(config.pprofBind(), config.pprofPort()).start();
            }
        } catch (IOException e) {
            Logger.error("cannot start: {}", e.toString());
            System.exit(1);
            return;
        }
        Logger.info("ready in {} ms", (System.nanoTime() - started) / 1_000_000);
        IdleTrim.schedule(timer, metrics::bytesForwarded, listener::releaseIdleBuffers, IDLE_TRIM_PERIOD);
        Thread.ofPlatform().name("netra-init").daemon().start(() -> {
            try {
                tracing.set(new Tracing(config, spanCounters, timer, null));
                RuntimeMetrics.register(registry);
                Logger.info("tracing and JVM metrics up after {} ms", (System.nanoTime() - started) / 1_000_000);
            } catch (RuntimeException e) {
                Logger.error(e, "tracing could not start: spans are off");
            }
        });

        AtomicBoolean stopping = new AtomicBoolean();
        SignalHandler shutdown = signal -> {
            if (stopping.compareAndSet(false, true)) {
                Thread.ofPlatform().name("netra-shutdown").start(() -> shutdown(config, listener, admin, signal));
            }
        };
        Signal.handle(new Signal("TERM"), shutdown);
        Signal.handle(new Signal("INT"), shutdown);
    }

    /** The HTTP engine's wiring: edits, listeners, fallback counting. */
    public static HttpSettings httpSettings(SidecarConfig config, ProxyMetrics metrics, ScheduledExecutorService timer,
                                            HeaderEdits edits, List<ExchangeListener> more) {
        List<ExchangeListener> all = new ArrayList<>();
        all.add(metrics.exchangeCounter());
        all.addAll(more);
        if (config.logLevel().debug()) {
            all.add(e -> Logger.debug("{}", e));
        }
        ExchangeListener[] listeners = all.toArray(ExchangeListener[]::new);
        return new HttpSettings(config.httpMaxHeaderBytes(), config.detectTimeout(), timer, edits,
                e -> {
                    for (ExchangeListener l : listeners) {
                        l.onExchange(e);
                    }
                },
                metrics::httpFallback);
    }

    private static void shutdown(SidecarConfig config, Listener listener, AdminServer admin, Signal signal) {
        Logger.info("SIG{}: no new connections; waiting up to {} s for {} open ones",
                signal.getName(), config.shutdownGrace().toSeconds(), listener.openConnections());
        listener.stopAccepting();
        try {
            if (!listener.awaitDrained(config.shutdownGrace())) {
                Logger.info("grace period over: resetting {} connections", listener.openConnections());
                listener.abortAll();
                listener.awaitDrained(Duration.ofSeconds(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close();
        Logger.info("stopped");
        try {
            org.tinylog.provider.ProviderRegistry.getLoggingProvider().shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0);
    }

    static void configureLogging(SidecarConfig config) {
        Configuration.replace(Map.of(
                "writer", "console",
                "writer.stream", "err",
                "writer.format", "{date:yyyy-MM-dd'T'HH:mm:ss.SSSXXX} {level} netra[" + config.serviceName() + "] {message}",
                "level", config.logLevel().tinylogLevel(),
                "writingthread", "true",
                "autoshutdown", "false"));
    }
}
