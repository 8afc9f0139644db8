package dev.netra.sidecar.proxy;

import dev.netra.sidecar.metrics.ProxyMetrics.ConnectionMetrics;
import dev.netra.sidecar.Direction;
import dev.netra.sidecar.metrics.ProxyMetrics.Rejection;
import dev.netra.sidecar.metrics.ProxyMetrics.Timeout;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpPolicy;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http.ProtocolDetector;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import dev.netra.ffm.SplicePipe;

/**
 * One intercepted connection, run on its own virtual thread: find where the client was going,
 * connect there, then copy bytes both ways until both directions have ended.
 */
final class Connection implements Runnable {
    private final long id;
    private final SocketChannel client;
    private final ProxyContext ctx;
    private final AtomicBoolean aborted = new AtomicBoolean();
    /** Which side ended first: how exchanges still open when the connection closes ended. */
    private final AtomicReference<Exchange.End> firstEnd = new AtomicReference<>();
    private final Activity activity = new Activity();
    private volatile SocketChannel upstream;
    /** The connection's HTTP session once it is parsed as HTTP: closed in run's finally, asked by the response-head timeout. */
    private volatile HttpSession session;
    /**
     * Threads splicing a direction use both sockets' descriptors directly, which the JDK does not
     * know about: a socket closed under them could hand its descriptor number to another
     * connection. So while one splices, closing waits for the last to leave ({@link #closeSockets}).
     */
    private final Object spliceLock = new Object();
    private final List<Thread> splicers = new ArrayList<>(2);
    private volatile boolean socketsClosing;

    Connection(long id, SocketChannel client, ProxyContext ctx) {
        this.id = id;
        this.client = client;
        this.ctx = ctx;
    }

    long id() {
        return id;
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
        if (aborted.get()) {
            return;
        }
        ctx.metrics().timedOut(t);
        firstEnd.compareAndSet(null, Exchange.End.TIMED_OUT);
        Logger.debug("conn={} closed by netra: {} timeout", id, t.label());
        if (t == Timeout.IDLE) {
            if (aborted.compareAndSet(false, true)) {
                closeSockets();
            }
        } else {
            abort(t.label() + " timeout");
        }
    }

    @Override
    public void run() {
        if (!Thread.currentThread().isVirtual()) {
            ctx.metrics().platformThreadConnection();
        }
        ConnectionMetrics m = null;
        ByteBuffer toUpstream = null;
        ByteBuffer toClient = null;
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
            Direction direction = isLocal(target.getAddress(), local.getAddress()) ? Direction.INBOUND : Direction.OUTBOUND;
            if (target.getPort() == local.getPort() && (direction == Direction.INBOUND || target.getAddress().isLoopbackAddress())) {
                Logger.warn("conn={} from {} refused: its original destination {} is this sidecar (a loop)",
                        id, Addresses.format(peer), Addresses.format(target));
                ctx.metrics().rejected(Rejection.LOOP);
                return;
            }
            m = ctx.metrics().of(direction);
            m.opened().inc();
            m.active().inc();
            if (ctx.config().logLevel().debug()) { // the addresses would be formatted for every connection otherwise
                Logger.debug("conn={} {} {} -> {}", id, direction.label(), Addresses.format(peer), Addresses.format(target));
            }

            HttpPolicy.Mode mode = ctx.httpPolicy().modeFor(target.getPort());
            byte[] prefix = null;
            if (ctx.router() != null && direction == Direction.OUTBOUND && mode != HttpPolicy.Mode.OPAQUE) {
                boolean isHttp = mode == HttpPolicy.Mode.HTTP;
                if (!isHttp) {
                    prefix = peek();
                    isHttp = ProtocolDetector.detect(ByteBuffer.wrap(prefix)) == ProtocolDetector.Verdict.HTTP;
                }
                if (isHttp) {
                    client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    HttpSession http = new HttpSession(id, direction, peer, target, ctx.http(), false);
                    session = http;
                    toUpstream = ctx.buffers().acquireSmall();
                    toClient = ctx.buffers().acquireSmall();
                    Exchange.End end = new RoutedConnection(id, client, target, ctx, m, http, ctx.router(), activity)
                            .run(prefix, toUpstream, toClient);
                    firstEnd.compareAndSet(null, end);
                    return;
                }
                mode = HttpPolicy.Mode.OPAQUE; // what the client said first is not HTTP
            }
            SocketChannel up = connect(target, direction, m);
            if (up == null) {
                return;
            }
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (prefix != null && prefix.length > 0) {
                Forwarder.writeFully(up, ByteBuffer.wrap(prefix));
                m.bytesToUpstream().inc(prefix.length);
            }
            Forwarder requests = Forwarder.opaque(up);
            Forwarder responses = Forwarder.opaque(client);
            if (mode != HttpPolicy.Mode.OPAQUE) {
                HttpSession http = new HttpSession(id, direction, peer, target, ctx.http(), mode == HttpPolicy.Mode.DETECT);
                session = http;
                requests = http.requests(up);
                responses = http.responses(client);
            }
            // Both directions wait on a small buffer and borrow larger ones only while bytes flow
            // (pump): an idle connection holds 8 KB instead of two NETRA_BUFFER_BYTES buffers.
            toUpstream = ctx.buffers().acquireSmall();
            toClient = ctx.buffers().acquireSmall();
            ByteBuffer back = toClient;
            ConnectionMetrics cm = m;
            Forwarder reverseForwarder = responses;
            FutureTask<Void> reverse = ctx.threads().startSecond(id,
                    () -> pump(up, client, reverseForwarder, back, cm.bytesToClient(), Exchange.End.UPSTREAM_GONE));
            pump(client, up, requests, toUpstream, m.bytesToUpstream(), Exchange.End.CLIENT_GONE);
            ConnectionThreads.awaitSecond(reverse);
        } catch (InterruptedException e) {
            abort("interrupted");
            toClient = null; // the reverse pump may still hold it: leave it to the GC
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            Logger.debug("conn={} ended before proxying: {}", id, e.toString());
        } catch (RuntimeException e) {
            Logger.error(e, "conn={} failed: bug", id);
            abort("bug");
        } finally {
            HttpSession http = session;
            if (http != null) {
                http.close(aborted.get() && firstEnd.get() == null ? Exchange.End.ABORTED
                        : firstEnd.get() == null ? Exchange.End.CLIENT_GONE : firstEnd.get());
            }
            closeSockets();
            ctx.buffers().release(toUpstream);
            ctx.buffers().release(toClient);
            if (m != null) {
                m.closed().inc();
                m.active().dec();
            }
            ctx.finished(this);
        }
    }

    /** Resets both sides now (SIGTERM after the grace period, or a bug). */
    void abort(String why) {
        if (aborted.compareAndSet(false, true)) {
            Logger.debug("conn={} aborted: {}", id, why);
            lingerZero(client);
            lingerZero(upstream);
            closeSockets();
        }
    }

    /**
     * Closes both sockets (a reset if {@link #abort} set no linger), now or, while directions are
     * spliced, when the last splicer has left: they are woken to see the abort.
     */
    private void closeSockets() {
        synchronized (spliceLock) {
            socketsClosing = true; // and no splice starts from now on
            if (!splicers.isEmpty()) {
                splicers.forEach(LockSupport::unpark);
                return;
            }
        }
        closeBoth();
    }

    private void closeBoth() {
        close(client);
        close(upstream);
    }

    private SocketChannel connect(InetSocketAddress target, Direction direction, ConnectionMetrics m) {
        try {
            return Upstreams.connect(id, direction.label(), target, ctx.config().connectTimeout(), m, ch -> upstream = ch);
        } catch (Upstreams.ConnectFailed e) {
            // The app could not see the refusal itself, so it gets the closest thing: a reset.
            abort("connect failed: " + e.getMessage());
            return null;
        }
    }

    /**
     * One direction: blocking reads, each passed to the forwarder (which writes it, raw or framed)
     * before the next read, into buffers sized by what flows ({@link DirectionBuffers}); a bulk
     * flow of bytes that pass unchanged (raw, or a long HTTP body) goes on by splice.
     */
    private void pump(SocketChannel from, SocketChannel to, Forwarder forwarder, ByteBuffer home,
                      CounterDataPoint bytes, Exchange.End endedBy) {
        DirectionBuffers buffers = ctx.directionBuffers(home);
        boolean spliceRefused = false;
        boolean platform = !Thread.currentThread().isVirtual();
        boolean moving = false;
        boolean requests = endedBy == Exchange.End.CLIENT_GONE;
        try {
            int n;
            while ((n = buffers.read(from)) >= 0) {
                activity.touch();
                forwarder.forward(buffers.current());
                bytes.inc(n);
                if (requests) {
                    activity.requestHead(forwarder.midHead());
                }
                if (platform && ctx.threads().crowded()) {
                    moving = true;
                    break;
                }
                if (buffers.becameBulk(n, forwarder.betweenMessages())) {
                    long passable = forwarder.passable();
                    if (passable >= Pipes.PIPE_BYTES) {
                        if (platform && ctx.pipes().available()) {
                            moving = true; // a splice waits on the JDK's poller: only virtual threads splice
                            break;
                        }
                        long spliced = splice(from, to, bytes, buffers, !spliceRefused, passable);
                        if (spliced >= 0) {
                            forwarder.passed(spliced);
                            if (spliced < passable) {
                                break; // the stream ended
                            }
                            continue; // a body ended: the next message is read and framed
                        }
                        spliceRefused = true;
                    }
                    buffers.borrowLarge();
                }
            }
            if (!moving) {
                firstEnd.compareAndSet(null, endedBy);
                forwarder.endOfStream();
                // Half-close: this direction ended; the other keeps flowing until it ends too,
                // or until it has been silent for NETRA_HALF_CLOSED_TIMEOUT_SECONDS.
                to.shutdownOutput();
                activity.halfClosed();
            }
        } catch (ClosedChannelException e) {
            // closed by abort() on the other pump; it has logged why
        } catch (IOException e) {
            firstEnd.compareAndSet(null, endedBy);
            if (!aborted.get()) {
                Logger.debug("conn={} {} -> {} ended by a peer: {}; resetting the other side",
                        id, side(from), side(to), e.getMessage());
            }
            abort("peer reset");
        } catch (RuntimeException e) {
            // here, not in run(): the second direction's thread has no run() to catch it
            Logger.error(e, "conn={} {} -> {} failed: bug", id, side(from), side(to));
            abort("bug");
        } finally {
            buffers.giveBack();
        }
        if (moving) {
            ctx.threads().continueOnVirtualThread(id, () -> pump(from, to, forwarder, home, bytes, endedBy),
                    () -> abort("interrupted"));
        }
    }

    /**
     * The next {@code limit} bytes of a bulk direction (its rest, for raw bytes), moved by the
     * kernel through a pipe: returns the bytes moved (fewer when the stream ended first), or -1
     * when nothing was because they are to be copied instead.
     *
     * @throws ClosedChannelException when the connection was aborted (its sockets are closing)
     */
    private long splice(SocketChannel from, SocketChannel to, CounterDataPoint bytes, DirectionBuffers buffers,
                        boolean countRefusal, long limit) throws IOException {
        synchronized (spliceLock) {
            if (socketsClosing) {
                throw new ClosedChannelException();
            }
            splicers.add(Thread.currentThread());
        }
        SplicePipe pipe = null;
        try {
            pipe = ctx.pipes().open(id, from, to, countRefusal);
            if (pipe == null) {
                return -1;
            }
            buffers.giveBack();
            return pipe.transfer(this::ensureNotClosing, n -> {
                bytes.inc(n);
                activity.touch();
            }, limit);
        } finally {
            ctx.pipes().release(pipe);
            boolean lastOut;
            synchronized (spliceLock) {
                splicers.remove(Thread.currentThread());
                lastOut = splicers.isEmpty() && socketsClosing;
            }
            if (lastOut) {
                closeBoth();
            }
        }
    }

    private void ensureNotClosing() throws ClosedChannelException {
        if (Thread.currentThread().isInterrupted()) {
            // A parked thread's interrupt would make every later wait return at once (a spin);
            // a JDK channel closes on interrupt, and so does the connection here.
            abort("interrupted");
        }
        if (socketsClosing) {
            throw new ClosedChannelException();
        }
    }

    /**
     * With routing on, the first bytes decide whether requests are routed; waits for them at most
     * NETRA_DETECT_TIMEOUT_MILLISECONDS, so a server that speaks first is only briefly delayed.
     */
    private byte[] peek() throws IOException {
        byte[] b = new byte[64];
        int n = 0;
        client.socket().setSoTimeout((int) ctx.config().detectTimeout().toMillis());
        try {
            java.io.InputStream in = client.socket().getInputStream();
            while (n < b.length) {
                int r = in.read(b, n, b.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
                if (ProtocolDetector.detect(ByteBuffer.wrap(b, 0, n)) != ProtocolDetector.Verdict.NEED_MORE) {
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            // not enough to tell: plain TCP
        } finally {
            client.socket().setSoTimeout(0);
        }
        return java.util.Arrays.copyOf(b, n);
    }

    private String side(SocketChannel ch) {
        return ch == client ? "client" : "upstream";
    }

    private static boolean isLocal(InetAddress target, InetAddress local) {
        return target.equals(local);
    }

    /** Makes closing {@code ch} a reset. */
    private static void lingerZero(SocketChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            if (ch.isOpen()) {
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException | RuntimeException ignored) {
            // already gone: closing is all that is left
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
