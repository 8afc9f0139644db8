package dev.netra.sidecar.proxy;

import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.metrics.ProxyMetrics.ConnectionMetrics;
import dev.netra.sidecar.routing.Router;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An outbound HTTP connection with routing on. Each request goes to the upstream its route
 * chose (or its original destination), on a connection from this client connection's small
 * per-destination pool, reused while both sides keep it alive; responses go back to the client
 * in request order, also when pipelined to different upstreams. A target that cannot be reached
 * is answered with 502 by netra itself.
 */
final class RoutedConnection {
    private static final Entry END = new Entry(null, null, null);

    private record Entry(Exchange exchange, Upstream upstream, InetSocketAddress unreachable) {
    }

    /** One pooled connection to an upstream, with its own response framer. */
    private static final class Upstream {
        final InetSocketAddress address;
        final SocketChannel channel;
        final Forwarder responses;
        long idleSince;
        /** The exchange it carries now; null while idle or closed. */
        volatile Exchange current;

        Upstream(InetSocketAddress address, SocketChannel channel, Forwarder responses) {
            this.address = address;
            this.channel = channel;
            this.responses = responses;
        }
    }

    private final long id;
    private final SocketChannel client;
    private final InetSocketAddress original;
    private final ProxyContext ctx;
    private final ConnectionMetrics metrics;
    private final HttpSession session;
    private final Router router;
    private final SwitchableChannel toUpstream = new SwitchableChannel();
    private final LinkedBlockingQueue<Entry> order = new LinkedBlockingQueue<>();
    private final Map<InetSocketAddress, ArrayDeque<Upstream>> idle = new HashMap<>();
    private final List<Upstream> opened = new ArrayList<>();
    private volatile boolean clientEndedFirst;
    private final Activity activity;

    RoutedConnection(long id, SocketChannel client, InetSocketAddress original, ProxyContext ctx, ConnectionMetrics metrics,
                     HttpSession session, Router router, Activity activity) {
        this.activity = activity;
        this.id = id;
        this.client = client;
        this.original = original;
        this.ctx = ctx;
        this.metrics = metrics;
        this.session = session;
        this.router = router;
    }

    /**
     * Runs until both directions ended; returns how exchanges still open ended. Like a plain
     * connection's, the two directions run on platform threads while few connections are open and
     * move to virtual threads between two reads once more are ({@link ConnectionThreads}).
     */
    Exchange.End run(byte[] prefix, ByteBuffer requestBuffer, ByteBuffer responseBuffer) throws InterruptedException {
        session.selector(this::select);
        Forwarder requests = session.requests(toUpstream);
        FutureTask<Void> responder = ctx.threads().startSecond(id, () -> respond(responseBuffer, null));
        request(requests, requestBuffer, prefix);
        ConnectionThreads.awaitSecond(responder);
        closeAll();
        return clientEndedFirst ? Exchange.End.CLIENT_GONE : Exchange.End.UPSTREAM_GONE;
    }

    /** Reads requests from the client and forwards them where {@link #select} sends each. */
    private void request(Forwarder requests, ByteBuffer home, byte[] prefix) {
        DirectionBuffers buffers = ctx.directionBuffers(home);
        boolean platform = !Thread.currentThread().isVirtual();
        boolean moving = false;
        try {
            if (prefix != null && prefix.length > 0) {
                requests.forward(ByteBuffer.wrap(prefix));
            }
            int n;
            while ((n = buffers.read(client)) >= 0) {
                activity.touch();
                requests.forward(buffers.current());
                activity.requestHead(requests.midHead());
                metrics.bytesToUpstream().inc(n);
                buffers.forwarded(n, requests.betweenMessages());
                if (platform && ctx.threads().crowded()) {
                    moving = true;
                    break;
                }
            }
            if (!moving) {
                requests.endOfStream();
                if (session.tunneled()) {
                    toUpstream.shutdownOutput();
                }
                clientEndedFirst = true;
                activity.halfClosed();
            }
        } catch (IOException e) {
            clientEndedFirst = true;
            Logger.debug("conn={} routed: request side ended: {}", id, e.toString());
            abort();
        } catch (RuntimeException e) {
            Logger.error(e, "conn={} routed: request side failed: bug", id);
            abort();
        } finally {
            buffers.giveBack();
            if (!moving) {
                order.add(END);
            }
        }
        if (moving) {
            ctx.threads().continueOnVirtualThread(id, () -> request(requests, home, null), this::abort);
        }
    }

    /** Called by the request framer with each request's head parsed: picks where its bytes go. */
    private void select(Exchange e) {
        InetSocketAddress dest = original;
        if (e.upstream() != null) {
            dest = new InetSocketAddress(e.upstream().getHostString(), e.upstream().getPort()); // DNS, per request
        }
        Upstream u = dest.isUnresolved() ? null : acquire(dest);
        if (u == null) {
            router.dialFailed();
            toUpstream.to(null);
            order.add(new Entry(e, null, dest));
            return;
        }
        u.current = e;
        toUpstream.to(u.channel);
        order.add(new Entry(e, u, null));
    }

    private Upstream acquire(InetSocketAddress dest) {
        synchronized (idle) {
            while (true) {
                long now = System.nanoTime();
                ArrayDeque<Upstream> free = idle.get(dest);
                while (free != null && !free.isEmpty()) {
                    Upstream u = free.pollFirst();
                    if (u.channel.isOpen() && now - u.idleSince < ctx.config().upstreamIdleTimeout().toNanos()) {
                        return u;
                    }
                    close(u.channel);
                }
                // One request at a time per upstream connection, and one connection per destination:
                // the next request to a busy destination waits for its response to end (it could not
                // reach the client earlier anyway: responses go back in order). Waiting on "busy",
                // not "response ended", matters: the client may have read the response before the
                // responder marks it ended and frees the connection.
                boolean busy = false;
                for (Upstream u : opened) {
                    busy |= u.address.equals(dest) && u.current != null && u.channel.isOpen();
                }
                if (!busy) {
                    break;
                }
                try {
                    idle.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        try {
            SocketChannel ch = Upstreams.connect(id, "routed", dest, ctx.config().connectTimeout(), metrics, c -> { });
            Upstream u = new Upstream(dest, ch, session.responses(client));
            synchronized (idle) {
                opened.add(u);
            }
            return u;
        } catch (Upstreams.ConnectFailed e) {
            return null; // counted and logged; the request is answered 502
        }
    }

    private void release(Upstream u) {
        u.idleSince = System.nanoTime();
        synchronized (idle) {
            u.current = null;
            idle.computeIfAbsent(u.address, a -> new ArrayDeque<>()).addFirst(u);
            idle.notifyAll();
        }
    }

    private void retire(Upstream u) {
        close(u.channel);
        synchronized (idle) {
            u.current = null;
            idle.notifyAll();
        }
    }

    /** What {@link #relay} did with one entry. */
    private enum Relayed { DONE, MOVING, LAST }

    /**
     * Writes responses to the client in request order, beginning with {@code resumed} when a
     * move to a virtual thread came in the middle of its response.
     */
    private void respond(ByteBuffer home, Entry resumed) {
        DirectionBuffers buffers = ctx.directionBuffers(home);
        boolean platform = !Thread.currentThread().isVirtual();
        Entry moving = null;
        try {
            Entry en = resumed;
            while (true) {
                if (en == null) {
                    if (platform && ctx.threads().crowded()) {
                        moving = END; // between responses: the virtual thread takes the next entry
                        break;
                    }
                    en = order.take();
                }
                if (en == END) {
                    client.shutdownOutput();
                    activity.halfClosed();
                    return;
                }
                Relayed r = relay(en, buffers, platform);
                if (r == Relayed.LAST) {
                    return;
                }
                if (r == Relayed.MOVING) {
                    moving = en;
                    break;
                }
                en = null;
            }
        } catch (ClosedChannelException e) {
            // aborted by the other side
        } catch (IOException e) {
            Logger.debug("conn={} routed: response side ended: {}", id, e.toString());
            abort();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            Logger.error(e, "conn={} routed: response side failed: bug", id);
            abort();
        } finally {
            buffers.giveBack();
        }
        if (moving != null) {
            Entry rest = moving == END ? null : moving;
            ctx.threads().continueOnVirtualThread(id, () -> respond(home, rest), this::abort);
        }
    }

    /**
     * Forwards {@code en}'s response (or answers it locally) until it ends: LAST when the
     * connection is over for the responder (a tunnel ended, or the upstream closed mid-response),
     * MOVING when it stopped between two reads to move to a virtual thread.
     */
    private Relayed relay(Entry en, DirectionBuffers buffers, boolean platform) throws IOException {
        if (en.upstream() == null) {
            session.respondLocally(en.exchange(), client, 502, "Bad Gateway",
                    "netra: routed target " + Addresses.format(en.unreachable()) + " cannot be reached\n");
            return Relayed.DONE;
        }
        Upstream u = en.upstream();
        boolean eof = false;
        while (en.exchange().end() == null) {
            int n = buffers.read(u.channel);
            if (n < 0) {
                u.responses.endOfStream();
                eof = true;
                break;
            }
            activity.touch();
            u.responses.forward(buffers.current());
            metrics.bytesToClient().inc(n);
            buffers.forwarded(n, u.responses.betweenMessages());
            if (platform && en.exchange().end() == null && ctx.threads().crowded()) {
                return Relayed.MOVING;
            }
        }
        if (session.tunneled()) {
            return tunnel(u, buffers, platform) ? Relayed.MOVING : Relayed.LAST;
        }
        if (en.exchange().end() == null) {
            Logger.debug("conn={} routed: {} closed before its response ended", id, Addresses.format(u.address));
            abort();
            return Relayed.LAST;
        }
        if (!eof && en.exchange().keepAlive()) {
            release(u);
        } else {
            retire(u);
        }
        return Relayed.DONE;
    }

    /**
     * After a 101 or a 2xx to CONNECT: raw bytes from that upstream until it ends. Returns true
     * when it stopped between two reads to move to a virtual thread (which calls it again).
     */
    private boolean tunnel(Upstream u, DirectionBuffers buffers, boolean platform) throws IOException {
        int n;
        while ((n = buffers.read(u.channel)) >= 0) {
            activity.touch();
            Forwarder.writeFully(client, buffers.current());
            metrics.bytesToClient().inc(n);
            buffers.forwarded(n, false);
            if (platform && ctx.threads().crowded()) {
                return true;
            }
        }
        client.shutdownOutput();
        activity.halfClosed();
        return false;
    }

    private void abort() {
        try {
            client.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException ignored) {
            // already closed
        }
        close(client);
        closeAll();
    }

    private void closeAll() {
        synchronized (idle) {
            for (Upstream u : opened) {
                close(u.channel);
            }
        }
    }

    private static void close(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }
}
