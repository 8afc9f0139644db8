package dev.netra.sidecar.proxy;

import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.HttpPolicy;
import dev.netra.sidecar.http.HttpSettings;
import dev.netra.sidecar.metrics.ProxyMetrics;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts intercepted connections on NETRA_PORT (IPv4 and IPv6 on one dual-stack socket) and
 * runs each on a thread of its own ({@link ConnectionThreads}); a connection permit is taken
 * before each accept, so at most NETRA_MAX_CONNECTIONS are open and the kernel backlog absorbs
 * the rest.
 */
public final class Listener implements ProxyContext, AutoCloseable {
    private static final int MAX_LARGE_BUFFERS = 32;
    /** Pipes for spliced bulk directions: 2 descriptors each, at most PIPE_BYTES of kernel memory in flight. */
    private static final int MAX_PIPES = 64;
    private final SidecarConfig config;
    private final ProxyMetrics metrics;
    private final BufferPool buffers;
    private final Pipes pipes;
    private final OriginalDestinations destinations;
    private final HttpPolicy httpPolicy;
    private final HttpSettings http;
    private final dev.netra.sidecar.routing.Router router;
    private final Semaphore permits;
    private final Map<Long, Connection> open = new ConcurrentHashMap<>();
    private final ConnectionThreads threads;
    private final Timeouts timeouts;
    private final AtomicLong ids = new AtomicLong();
    private volatile ServerSocketChannel server;
    private volatile boolean accepting;
    private volatile boolean alive = true;
    private static final long MAX_BACKOFF_MILLIS = 1000;
    private final RateLimitedLog limitLog = new RateLimitedLog(java.time.Duration.ofMinutes(1));
    private final RateLimitedLog acceptLog = new RateLimitedLog(java.time.Duration.ofMinutes(1));

    public Listener(SidecarConfig config, ProxyMetrics metrics, HttpSettings http, dev.netra.sidecar.routing.Router router) {
        this(config, metrics, OriginalDestinations.KERNEL, http, router);
    }

    Listener(SidecarConfig config, ProxyMetrics metrics, OriginalDestinations destinations, HttpSettings http,
             dev.netra.sidecar.routing.Router router) {
        this.config = config;
        this.router = router;
        this.destinations = destinations;
        this.http = http;
        this.httpPolicy = new HttpPolicy(config);
        this.metrics = metrics;
        this.permits = new Semaphore(config.proxy().maxConnections());
        // Two buffers per connection; keep enough for a busy moment, not for the worst case.
        // Large buffers for bulk flows: 32 x 256 KB = 8 MB of direct memory at most.
        this.buffers = new BufferPool(config.proxy().bufferBytes(), Math.min(2 * config.proxy().maxConnections(), 512), MAX_LARGE_BUFFERS);
        this.pipes = new Pipes(config.proxy().spliceEnabled(), MAX_PIPES, metrics);
        this.threads = new ConnectionThreads(config.proxy().platformThreadConnections(), open::size, metrics::movedToVirtualThread);
        this.timeouts = new Timeouts(config.proxy().timeouts(), open.values());
    }

    /** Lets go of pooled copy buffers and head arrays (an idle sidecar giving memory back). */
    public void releaseIdleBuffers() {
        buffers.drain();
        http.heads().drain();
    }

    /** Binds NETRA_PORT and starts accepting on a platform thread. */
    public void start() throws IOException {
        start(new InetSocketAddress(config.proxy().port()));
    }

    void start(InetSocketAddress bind) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.bind(bind, 1024);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        server = ch;
        accepting = true;
        Thread.ofPlatform().name("netra-accept").daemon(false).start(this::acceptLoop);
    }

    /**
     * Takes connections until {@link #stopAccepting}. A failed accept (out of descriptors, out of
     * kernel memory) never ends it: it is counted, logged at most once a minute, and retried after a
     * back-off that grows to {@value #MAX_BACKOFF_MILLIS} ms, while the kernel backlog holds the
     * connections that wait. Only the listening socket closing under it ends the loop before a
     * stop, and then {@link #alive} turns false so that the liveness probe restarts the sidecar.
     */
    private void acceptLoop() {
        ServerSocketChannel ch = server;
        long backoffMillis = 0;
        try {
            while (accepting) {
                if (!permits.tryAcquire()) {
                    metrics.connectionLimitHit();
                    limitLog.warn("NETRA_MAX_CONNECTIONS={} connections are open; new ones wait in the backlog"
                            + " (netra_tcp_connection_limit_hits_total)", config.proxy().maxConnections());
                    permits.acquire();
                }
                SocketChannel client;
                try {
                    client = ch.accept();
                    backoffMillis = 0;
                } catch (java.nio.channels.ClosedChannelException e) {
                    permits.release();
                    throw e;
                } catch (IOException e) {
                    permits.release();
                    ProxyMetrics.AcceptError reason = ProxyMetrics.AcceptError.of(e);
                    metrics.acceptError(reason);
                    backoffMillis = Math.min(MAX_BACKOFF_MILLIS, Math.max(1, backoffMillis * 2));
                    acceptLog.warn("accepting a connection failed ({}): {}; retrying in {} ms, the backlog holds new"
                            + " connections meanwhile (netra_tcp_accept_errors_total)", reason.label(), e.getMessage(), backoffMillis);
                    Thread.sleep(backoffMillis);
                    continue;
                }
                Connection c = new Connection(ids.incrementAndGet(), client, this);
                open.put(c.id(), c);
                threads.start(c);
            }
        } catch (java.nio.channels.ClosedChannelException e) {
            if (accepting) {
                Logger.error("the listening socket closed while accepting: no more connections are taken; /live fails");
                alive = false;
                accepting = false;
            } else {
                Logger.debug("listener closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            Logger.error(e, "the accept loop failed: bug; no more connections are taken; /live fails");
            alive = false;
            accepting = false;
        }
    }

    /** False once the listener can take no more connections for a reason other than a stop: what /live reports. */
    public boolean alive() {
        return alive;
    }

    /** True while new connections are accepted: what /ready reports. */
    public boolean accepting() {
        return accepting && server != null && server.isOpen();
    }

    public SocketAddress localAddress() throws IOException {
        return server.getLocalAddress();
    }

    /** Connections open right now. */
    public int openConnections() {
        return open.size();
    }

    /** Stops accepting; open connections go on. */
    public void stopAccepting() {
        accepting = false;
        ServerSocketChannel ch = server;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                Logger.debug("closing the listener: {}", e.toString());
            }
        }
    }

    /** Waits until every open connection has finished, or the timeout passed; true when drained. */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return open.isEmpty();
    }

    /** Resets every connection still open. */
    public void abortAll() {
        open.values().forEach(c -> c.abort("shutdown grace period over"));
    }

    @Override
    public void close() {
        stopAccepting();
        abortAll();
        threads.close();
        timeouts.close();
    }

    @Override
    public ConnectionThreads threads() {
        return threads;
    }

    @Override
    public SidecarConfig config() {
        return config;
    }

    @Override
    public ProxyMetrics metrics() {
        return metrics;
    }

    @Override
    public BufferPool buffers() {
        return buffers;
    }

    @Override
    public Pipes pipes() {
        return pipes;
    }

    @Override
    public OriginalDestinations destinations() {
        return destinations;
    }

    @Override
    public HttpPolicy httpPolicy() {
        return httpPolicy;
    }

    @Override
    public HttpSettings http() {
        return http;
    }

    @Override
    public dev.netra.sidecar.routing.Router router() {
        return router;
    }

    @Override
    public void finished(Connection connection) {
        open.remove(connection.id());
        permits.release();
    }
}
