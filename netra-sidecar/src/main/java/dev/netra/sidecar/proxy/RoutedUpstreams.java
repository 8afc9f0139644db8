package dev.netra.sidecar.proxy;

import dev.netra.sidecar.Addresses;
import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.metrics.ProxyMetrics.ConnectionMetrics;
import dev.netra.sidecar.routing.Router;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An outbound HTTP connection's upstreams with routing on: each request goes to the upstream its
 * route chose (or its original destination), on a connection from this client connection's
 * small per-destination pool, reused while both sides keep it alive; responses go back to the
 * client in request order, also when pipelined to different upstreams. A target that cannot be
 * reached is answered with 502 by netra itself.
 *
 * <p>Where a plain connection would pass something on, so does this one: an upstream that ends
 * the connection (a close-delimited body, {@code Connection: close}) ends the client's too, with
 * a FIN; once either side is no longer parsed (a fallback, a tunnel), the client and one
 * upstream (the last one a request went to, or the original destination) are joined raw.
 */
final class RoutedUpstreams {
    private static final Entry END = new Entry(null, null, null, false);

    /** What the responder does next, in request order. */
    private record Entry(Exchange exchange, Upstream upstream, InetSocketAddress unreachable, boolean raw) {
    }

    /** One pooled connection to an upstream, with its own response framer. */
    private static final class Upstream {
        final InetSocketAddress address;
        final SocketChannel channel;
        Forwarder responses;
        long idleSince;
        /** The exchange it carries now; null while idle or closed. */
        volatile Exchange current;

        Upstream(InetSocketAddress address, SocketChannel channel) {
            this.address = address;
            this.channel = channel;
        }
    }

    private final Connection conn;
    private final long id;
    private final ProxyContext ctx;
    private final SocketChannel client;
    private final InetSocketAddress original;
    private final ConnectionMetrics metrics;
    private final HttpSession session;
    private final Router router;
    private final SwitchableChannel toUpstream;
    /** Bounded by the session's pipeline limit: a deeper pipeline falls back and stops adding. */
    private final LinkedBlockingQueue<Entry> order = new LinkedBlockingQueue<>();
    /** Idle upstream connections one client connection keeps, over all destinations. */
    static final int MAX_IDLE = 16;
    /** Idle upstreams by destination, most recent first; a destination with none has no entry. At most {@link #MAX_IDLE} in all. */
    private final Map<InetSocketAddress, ArrayDeque<Upstream>> idle = new HashMap<>();
    /** Upstreams open now (busy or idle): bounded by the destinations in use, as retired ones leave. */
    private final List<Upstream> opened = new ArrayList<>();
    /** The upstream the request side writes to now (request side only). */
    private Upstream target;
    /** The upstream joined raw to the client once the connection is no longer parsed. */
    private Upstream rawUpstream;
    /** The responder ended the client's output (its upstream ended the connection): later requests are dropped. */
    private volatile boolean responsesEnded;
    /** The responder's entry, kept across a move to a virtual thread. */
    private Entry responding;

    RoutedUpstreams(Connection conn, InetSocketAddress original, ConnectionMetrics metrics, HttpSession session, Router router) {
        this.conn = conn;
        this.id = conn.id();
        this.ctx = conn.ctx();
        this.client = conn.client();
        this.original = original;
        this.metrics = metrics;
        this.session = session;
        this.router = router;
        this.toUpstream = new SwitchableChannel(this::joinRaw, session::parsed);
    }

    /**
     * Runs until both directions ended; {@code requestHome} holds the detect stage's bytes
     * (flipped), {@code early} is a connection to the original destination made while waiting for
     * them, or null: it is the pool's first.
     */
    void run(SocketChannel early, ByteBuffer requestHome, ByteBuffer responseHome) throws InterruptedException {
        if (early != null) {
            Upstream u = upstream(original, early);
            release(u);
        }
        session.decide(Protocol.HTTP1);
        session.selector(this::select);
        Forwarder requests = session.requests(toUpstream);
        Pump responsePump = new Pump(id, ctx, conn.sockets(), conn.activity(), () -> client, responseHome,
                metrics.bytesToClient(), false);
        FutureTask<Void> responder = ctx.threads().startSecond(id,
                () -> conn.leg("routed responses", Exchange.End.UPSTREAM_GONE, () -> respond(responsePump)));
        Pump requestPump = new Pump(id, ctx, conn.sockets(), conn.activity(), toUpstream::current, requestHome,
                metrics.bytesToUpstream(), true);
        conn.leg("routed requests", Exchange.End.CLIENT_GONE, () -> requests(requestPump, requests, requestHome));
        ConnectionThreads.awaitSecond(responder);
    }

    /** The request side: reads requests from the client and forwards each where {@link #select} sends it. */
    private Pump.Stop requests(Pump pump, Forwarder requests, ByteBuffer replay) throws IOException {
        boolean moving = false;
        try {
            Pump.Stop stop = pump.run(client, requests, replay, Pump.UNTIL_END);
            if (stop == Pump.Stop.MOVE) {
                moving = true;
                return stop;
            }
            conn.ended(Exchange.End.CLIENT_GONE);
            requests.endOfStream();
            if (session.tunneled() || !session.parsed()) {
                toUpstream.shutdownOutput(); // the client's end reaches the upstream it is joined to raw
            }
            conn.activity().halfClosed();
            return stop;
        } finally {
            if (!moving) {
                order.add(END);
            }
        }
    }

    /** Called by the request framer with each request's head parsed: picks where its bytes go. */
    private void select(Exchange e) {
        if (responsesEnded) {
            toUpstream.to(null); // the client's side was closed: as a server that closed would, drop it
            target = null;
            return;
        }
        InetSocketAddress dest = original;
        if (e.upstream() != null) {
            dest = new InetSocketAddress(e.upstream().getHostString(), e.upstream().getPort()); // DNS, per request
        }
        Upstream u = dest.isUnresolved() ? null : acquire(dest);
        if (u == null && !session.parsed()) {
            return; // the connection went raw while this request waited: its bytes follow the raw join
        }
        target = u;
        if (u == null) {
            router.dialFailed();
            toUpstream.to(null);
            order.add(new Entry(e, null, dest, false));
            return;
        }
        u.current = e;
        toUpstream.to(u.channel);
        order.add(new Entry(e, u, null, false));
    }

    /**
     * The request side's bytes are no longer parsed (a fallback, or after a tunnel began): they
     * go raw to the upstream the last request went to, or to the original destination when there
     * is none; the responder joins that upstream's bytes to the client. Returns where they go.
     *
     * @throws Dialer.ConnectFailed when the original destination cannot be reached: the client is reset
     */
    private SocketChannel joinRaw() throws IOException {
        if (responsesEnded) {
            return null; // no response can reach the client any more
        }
        if (rawUpstream == null) {
            Upstream u = target;
            if (u == null || !u.channel.isOpen()) {
                u = dial(original);
                if (u == null) {
                    throw new IOException("the original destination " + Addresses.format(original) + " cannot be reached");
                }
            }
            synchronized (idle) {
                unidle(u);
            }
            rawUpstream = u;
            target = u;
            order.add(new Entry(null, u, null, true));
        }
        return rawUpstream.channel;
    }

    private Upstream acquire(InetSocketAddress dest) {
        synchronized (idle) {
            while (true) {
                long now = System.nanoTime();
                ArrayDeque<Upstream> free = idle.get(dest);
                while (free != null && !free.isEmpty()) {
                    Upstream u = free.pollFirst();
                    if (free.isEmpty()) {
                        idle.remove(dest); // the map holds destinations with idle upstreams only
                    }
                    if (u.channel.isOpen() && now - u.idleSince < ctx.config().routing().upstreamIdleTimeout().toNanos()) {
                        return u;
                    }
                    retire(u);
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
                if (!busy || responsesEnded) {
                    break;
                }
                if (!session.parsed()) {
                    return null; // a response went raw: nothing waited for is coming back framed
                }
                try {
                    idle.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return dial(dest);
    }

    /** A new upstream connection, or null when it failed (counted and logged by the dialer). */
    private Upstream dial(InetSocketAddress dest) {
        try {
            SocketChannel ch = Dialer.connect(id, "routed", dest, ctx.config().proxy().connectTimeout(), metrics, conn.sockets()::add);
            return upstream(dest, ch);
        } catch (Dialer.ConnectFailed e) {
            return null;
        }
    }

    private Upstream upstream(InetSocketAddress dest, SocketChannel ch) {
        Upstream u = new Upstream(dest, ch);
        u.responses = session.responses(client, () -> u.current);
        synchronized (idle) {
            opened.add(u);
        }
        return u;
    }

    private void release(Upstream u) {
        u.idleSince = System.nanoTime();
        synchronized (idle) {
            u.current = null;
            idle.computeIfAbsent(u.address, a -> new ArrayDeque<>()).addFirst(u);
            int kept = 0;
            for (ArrayDeque<Upstream> free : idle.values()) {
                kept += free.size();
            }
            if (kept > MAX_IDLE) {
                retireLongestIdle();
            }
            idle.notifyAll();
        }
    }

    /** Closes the upstream idle the longest: a client routing to ever new destinations holds {@value #MAX_IDLE} at most. */
    private void retireLongestIdle() {
        Upstream oldest = null;
        for (ArrayDeque<Upstream> free : idle.values()) {
            Upstream last = free.peekLast();
            if (last != null && (oldest == null || last.idleSince < oldest.idleSince)) {
                oldest = last;
            }
        }
        if (oldest != null) {
            unidle(oldest);
            retire(oldest);
        }
    }

    /** Takes {@code u} out of the idle ones (under the lock); a destination left with none leaves the map. */
    private void unidle(Upstream u) {
        ArrayDeque<Upstream> free = idle.get(u.address);
        if (free != null && free.remove(u) && free.isEmpty()) {
            idle.remove(u.address);
        }
    }

    /** Closes an upstream the connection is done with; it leaves {@link #opened}, which so holds only live ones. */
    private void retire(Upstream u) {
        conn.sockets().retire(u.channel);
        synchronized (idle) {
            u.current = null;
            opened.remove(u);
            idle.notifyAll();
        }
    }

    /**
     * The responder: writes responses to the client in request order. Resumes with the entry it
     * was relaying when it stopped to move to a virtual thread.
     */
    private Pump.Stop respond(Pump pump) throws IOException {
        try {
            while (true) {
                Entry en = responding;
                if (en == null) {
                    en = order.take();
                    responding = en;
                }
                if (en == END) {
                    endResponses();
                    return Pump.Stop.END_OF_STREAM;
                }
                if (en.upstream() == null) {
                    session.respondLocally(en.exchange(), client, 502, "Bad Gateway",
                            "netra: routed target " + Addresses.format(en.unreachable()) + " cannot be reached\n");
                    responding = null;
                    continue;
                }
                Pump.Stop stop = relay(pump, en);
                if (stop != Pump.Stop.DONE) {
                    return stop;
                }
                responding = null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            conn.abort("interrupted");
            return Pump.Stop.END_OF_STREAM;
        }
    }

    /**
     * Forwards one response from its upstream: DONE when it ended and the next entry is due,
     * END_OF_STREAM when the client's output was ended (the upstream ended the connection, or the
     * raw join ended), MOVE to go on on a virtual thread.
     */
    private Pump.Stop relay(Pump pump, Entry en) throws IOException {
        Upstream u = en.upstream();
        Forwarder f = u.responses;
        Pump.Stop stop = en.raw() ? Pump.Stop.DONE
                : pump.run(u.channel, f, null, () -> en.exchange().end() != null || f.raw());
        if (stop == Pump.Stop.MOVE) {
            return stop;
        }
        if (stop == Pump.Stop.DONE && (en.raw() || f.raw())) {
            // a tunnel began, or this upstream's bytes are no longer parsed: the rest of its stream is raw
            stop = pump.run(u.channel, f, null, Pump.UNTIL_END);
            if (stop == Pump.Stop.MOVE) {
                return stop;
            }
        }
        if (stop == Pump.Stop.END_OF_STREAM) {
            f.endOfStream(); // a close-delimited body ends here
        }
        boolean ended = en.exchange() != null && en.exchange().end() != null;
        if (stop == Pump.Stop.END_OF_STREAM || !ended || !en.exchange().keepAlive()) {
            // The upstream ends the connection, after its response or in the middle of it: as on a
            // plain connection, the client is told with a FIN (a close-delimited body ends only so).
            if (!ended && en.exchange() != null) {
                Logger.debug("conn={} routed: {} closed before its response ended", id, Addresses.format(u.address));
            }
            retire(u);
            conn.ended(Exchange.End.UPSTREAM_GONE);
            endResponses();
            return Pump.Stop.END_OF_STREAM;
        }
        release(u);
        return Pump.Stop.DONE;
    }

    /** The client gets a FIN: no more responses come on this connection. */
    private void endResponses() throws IOException {
        responsesEnded = true;
        synchronized (idle) {
            idle.notifyAll();
        }
        client.shutdownOutput();
        conn.activity().halfClosed();
    }
}
