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
    private final AtomicLong ids = new AtomicLong();
    private volatile ServerSocketChannel server;
    private volatile boolean accepting;

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
        this.permits = new Semaphore(config.maxConnections());
        // Two buffers per connection; keep enough for a busy moment, not for the worst case.
        // Large buffers for bulk flows: 32 x 256 KB = 8 MB of direct memory at most.
        this.buffers = new BufferPool(config.bufferBytes(), Math.min(2 * config.maxConnections(), 512), MAX_LARGE_BUFFERS);
        this.pipes = new Pipes(config.spliceEnabled(), MAX_PIPES, metrics);
        this.threads = new ConnectionThreads(config.platformThreadConnections(), open::size, metrics::movedToVirtualThread);
    }

    /** Lets go of pooled copy buffers and head arrays (an idle sidecar giving memory back). */
    public void releaseIdleBuffers() {
        buffers.drain();
        http.heads().drain();
    }

    /** Binds NETRA_PORT and starts accepting on a platform thread. */
    public void start() throws IOException {
        start(new InetSocketAddress(config.port()));
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

    private void acceptLoop() {
        ServerSocketChannel ch = server;
        try {
            while (accepting) {
                if (!permits.tryAcquire()) {
                    metrics.connectionLimitHit();
                    Logger.warn("NETRA_MAX_CONNECTIONS={} connections are open; new ones wait in the backlog",
                            config.maxConnections());
                    permits.acquire();
                }
                SocketChannel client;
                try {
                    client = ch.accept();
                } catch (IOException e) {
                    permits.release();
                    throw e;
                }
                Connection c = new Connection(ids.incrementAndGet(), client, this);
                open.put(c.id(), c);
                threads.start(c);
            }
        } catch (java.nio.channels.ClosedChannelException e) {
            Logger.debug("listener closed");
        } catch (IOException e) {
            Logger.error(e, "accept failed; no more connections are taken");
            accepting = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
