package dev.netra.sidecar.proxy;

import dev.netra.sidecar.Addresses;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.Detection;
import dev.netra.sidecar.detect.ClientHello;
import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.log.LogGate;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.HttpPolicy;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.metrics.ProxyMetrics.ConnectionMetrics;
import dev.netra.sidecar.metrics.ProxyMetrics.Rejection;
import dev.netra.sidecar.metrics.ProxyMetrics.Timeout;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One intercepted connection, from accept to close, on a thread of its own:
 * <ol>
 * <li>its original destination and direction, and the port's policy (opaque, detected, HTTP);</li>
 * <li>the detect stage ({@link Detection}) tells the protocol from the client's first bytes,
 * which are replayed to what runs next;</li>
 * <li>its upstreams: the one original destination ({@link SingleUpstream}), or with routing an
 * upstream per request ({@link RoutedUpstreams}); both run each direction in a {@link Pump};</li>
 * <li>one {@code finally} releases everything: open exchanges, every socket, buffers, its permit.</li>
 * </ol>
 */
final class Connection implements Runnable {
    private final long id;
    private final ProxyContext ctx;
    private final ConnectionSockets sockets;
    private final Activity activity = new Activity();
    /** Which side ended first: how exchanges still open when the connection closes ended. */
    private final AtomicReference<Exchange.End> firstEnd = new AtomicReference<>();
    /** The connection's HTTP session once it is parsed as HTTP: closed in run's finally, asked by the response-head timeout. */
    private volatile HttpSession session;
    /** Set once the original destination is known, before any direction starts. */
    private Direction direction;

    Connection(long id, SocketChannel client, ProxyContext ctx) {
        this.id = id;
        this.ctx = ctx;
        this.sockets = new ConnectionSockets(id, client);
    }

    long id() {
        return id;
    }

    ProxyContext ctx() {
        return ctx;
    }

    ConnectionSockets sockets() {
        return sockets;
    }

    SocketChannel client() {
        return sockets.client();
    }

    Activity activity() {
        return activity;
    }

    /** When the oldest request still without a response was sent (System.nanoTime), 0 if none waits. */
    long unansweredSince() {
        HttpSession s = session;
        return s == null ? 0 : s.unansweredSince();
    }

    /**
     * Closes the connection because it waited longer than {@code t} allows: an idle one with FINs,
     * anything else with a reset (a peer that half-closed or trickles has been told nothing else).
     */
    void timedOut(Timeout t) {
        if (sockets.aborted()) {
            return;
        }
        ctx.metrics().timedOut(t);
        firstEnd.compareAndSet(null, Exchange.End.TIMED_OUT);
        Logger.debug("conn={} closed by netra: {} timeout", id, t.label());
        if (t == Timeout.IDLE) {
            sockets.close();
        } else {
            abort(t.label() + " timeout");
        }
    }

    /** Resets the client and every upstream now (SIGTERM after the grace period, a timeout, a bug). */
    void abort(String why) {
        sockets.abort(why);
    }

    /** Records which side ended first, unless one did already. */
    void ended(Exchange.End by) {
        firstEnd.compareAndSet(null, by);
    }

    @Override
    public void run() {
        if (!Thread.currentThread().isVirtual()) {
            ctx.metrics().platformThreadConnection();
        }
        SocketChannel client = sockets.client();
        ConnectionMetrics m = null;
        ByteBuffer requestHome = null;
        ByteBuffer responseHome = null;
        try {
            InetSocketAddress peer = (InetSocketAddress) client.getRemoteAddress();
            InetSocketAddress local = (InetSocketAddress) client.getLocalAddress();
            Optional<InetSocketAddress> original = ctx.destinations().of(client);
            if (original.isEmpty()) {
                Logger.warn("conn={} from {} refused: it was not redirected by iptables (no original destination);"
                        + " nothing connects to the sidecar port directly", id, Addresses.format(peer));
                ctx.metrics().rejected(Rejection.NO_ORIGINAL_DESTINATION);
                return;
            }
            InetSocketAddress target = original.get();
            Direction direction = target.getAddress().equals(local.getAddress()) ? Direction.INBOUND : Direction.OUTBOUND;
            this.direction = direction;
            if (target.getPort() == local.getPort() && (direction == Direction.INBOUND || target.getAddress().isLoopbackAddress())) {
                Logger.warn("conn={} from {} refused: its original destination {} is this sidecar (a loop)",
                        id, Addresses.format(peer), Addresses.format(target));
                ctx.metrics().rejected(Rejection.LOOP);
                return;
            }
            m = ctx.metrics().of(direction, target);
            m.opened().inc();
            m.active().inc();
            if (LogGate.debug()) { // the addresses would be formatted for every connection otherwise
                Logger.debug("conn={} {} {} -> {}", id, direction.label(), Addresses.format(peer), Addresses.format(target));
            }
            // Each direction waits on a small buffer and borrows larger ones only while bytes flow
            // (Pump): an idle connection holds 8 KB instead of two NETRA_BUFFER_BYTES buffers.
            requestHome = ctx.buffers().acquireSmall();
            responseHome = ctx.buffers().acquireSmall();

            HttpPolicy.Mode mode = ctx.httpPolicy().modeFor(target.getPort());
            Protocol detected = null;
            SocketChannel early = null;
            if (ctx.router() != null && direction == Direction.OUTBOUND && mode != HttpPolicy.Mode.OPAQUE) {
                // Routing chooses the upstream per request, so nothing is connected before the
                // first bytes, which must come by the deadline: a server that speaks first would
                // otherwise never be reached.
                detected = Detection.detect(client, requestHome, ctx.config().http().detectTimeout(), true, () -> false);
                if (mode == HttpPolicy.Mode.HTTP && !requestHome.hasRemaining() && detected == Protocol.OPAQUE) {
                    // A port in NETRA_HTTP_PORTS is HTTP: its client may connect well before its
                    // first request (a pool). It is waited for however long, with the original
                    // destination connected meanwhile in case its server is the one to speak.
                    early = dial(target, direction, m);
                    if (early == null) {
                        return;
                    }
                    SocketChannel up = early;
                    detected = Detection.awaitClient(client, requestHome.clear(), ctx.config().http().detectTimeout(),
                            () -> available(up) > 0);
                    if (detected == null) {
                        detected = Protocol.OPAQUE; // the server spoke first
                    }
                }
                counted(detected, requestHome);
                if (detected == Protocol.HTTP1) {
                    client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    HttpSession http = new HttpSession(id, direction, peer, target, ctx.http(), mode == HttpPolicy.Mode.HTTP);
                    session = http;
                    new RoutedUpstreams(this, target, m, http, ctx.router()).run(early, requestHome, responseHome);
                    return;
                }
            }
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            HttpSession http = null;
            if (mode != HttpPolicy.Mode.OPAQUE && (detected == null || detected == Protocol.HTTP1)) {
                http = new HttpSession(id, direction, peer, target, ctx.http(), mode == HttpPolicy.Mode.HTTP);
                session = http;
            }
            new SingleUpstream(this, target, direction, m, http).run(early, detected, requestHome, responseHome);
        } catch (InterruptedException e) {
            abort("interrupted");
            responseHome = null; // the second direction may still hold it: leave it to the GC
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            Logger.debug("conn={} ended before proxying: {}", id, e.toString());
        } catch (RuntimeException e) {
            Logger.error(e, "conn={} failed: bug", id);
            abort("bug");
        } finally {
            HttpSession http = session;
            if (http != null) {
                Exchange.End first = firstEnd.get();
                http.close(first != null ? first : sockets.aborted() ? Exchange.End.ABORTED : Exchange.End.CLIENT_GONE);
            }
            sockets.close();
            ctx.buffers().release(requestHome);
            ctx.buffers().release(responseHome);
            if (m != null) {
                m.closed().inc();
                m.active().dec();
            }
            ctx.finished(this);
        }
    }

    /**
     * The detect stage, counted: reads the client's first bytes into {@code home} (flipped for
     * replay on return) until they tell the protocol.
     */
    Protocol detect(ByteBuffer home, boolean firstTimed, java.util.function.BooleanSupplier settled) throws IOException {
        Protocol p = Detection.detect(sockets.client(), home, ctx.config().http().detectTimeout(), firstTimed, settled);
        counted(p, home);
        return p;
    }

    /** Counts the detect stage's verdict; a TLS connection by the name and protocols its ClientHello asks for. */
    private void counted(Protocol p, ByteBuffer replay) {
        ctx.metrics().detected(p);
        if (p == Protocol.TLS) {
            ClientHello hello = ClientHello.of(replay);
            ctx.metrics().tlsHello(direction, hello);
            if (LogGate.debug()) {
                Logger.debug("conn={} tls server_name={} alpn={}", id, hello.serverName(), hello.alpn());
            }
        }
    }

    /**
     * Connects to {@code target}, the socket taken by {@link #sockets} from its opening; null, with
     * the client reset (the closest thing to the refusal the app would have seen), when it failed.
     */
    SocketChannel dial(InetSocketAddress target, Direction direction, ConnectionMetrics m) {
        try {
            return Dialer.connect(id, direction.label(), target, ctx.config().proxy().connectTimeout(), m, sockets::add);
        } catch (Dialer.ConnectFailed e) {
            abort("connect failed: " + e.getMessage());
            return null;
        }
    }

    /** Bytes waiting to be read on {@code ch}, asked without reading (FIONREAD). */
    private static int available(SocketChannel ch) {
        try {
            return ch.socket().getInputStream().available();
        } catch (IOException e) {
            return 0;
        }
    }

    /** One direction's work, run by {@link #leg}: returns {@link Pump.Stop#MOVE} to go on on a virtual thread. */
    @FunctionalInterface
    interface Leg {
        Pump.Stop run() throws IOException;
    }

    /**
     * Runs one direction to its end: moved to a virtual thread when its pump asks (the leg is
     * called again there and goes on where it stopped); a peer's reset or a bug resets the whole
     * connection. {@code endedBy} is how open exchanges end when this direction's peer ended first.
     */
    void leg(String what, Exchange.End endedBy, Leg leg) {
        Pump.Stop stop;
        try {
            stop = leg.run();
        } catch (ClosedChannelException e) {
            return; // closed by an abort elsewhere, which logged why
        } catch (IOException e) {
            ended(endedBy);
            if (!sockets.aborted()) {
                Logger.debug("conn={} {} ended by a peer: {}; resetting the other side", id, what, e.getMessage());
            }
            abort("peer reset");
            return;
        } catch (RuntimeException e) {
            // here, not in run(): the second direction's thread has no run() to catch it
            Logger.error(e, "conn={} {} failed: bug", id, what);
            abort("bug");
            return;
        }
        if (stop == Pump.Stop.MOVE) {
            ctx.threads().continueOnVirtualThread(id, () -> leg(what, endedBy, leg), () -> abort("interrupted"));
        }
    }
}
