package dev.netra.sidecar.proxy;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;
import dev.netra.sidecar.http2.Http2Connection;
import dev.netra.sidecar.metrics.ProxyMetrics.ConnectionMetrics;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.FutureTask;

/**
 * A connection's one upstream, its original destination: connected once before anything is
 * read (a server may speak first), a refused or failed connect resets the client (the closest
 * thing to what the app would have seen), then both directions are pumped until both ended, each
 * half-closing the other's output when its stream ends.
 */
final class SingleUpstream {
    private final Connection conn;
    private final InetSocketAddress target;
    private final Direction direction;
    private final ConnectionMetrics metrics;
    /** Null for an opaque connection. */
    private final HttpSession session;
    /** Set when the client's preface decided HTTP/2 (NETRA_HTTP2 on). */
    private volatile Http2Connection http2;

    SingleUpstream(Connection conn, InetSocketAddress target, Direction direction, ConnectionMetrics metrics,
                   HttpSession session) {
        this.conn = conn;
        this.target = target;
        this.direction = direction;
        this.metrics = metrics;
        this.session = session;
    }

    /**
     * @param connected    the upstream when it is connected already, or null to connect here
     * @param detected     the protocol when the detect stage ran already (its bytes are in
     *                     {@code requestHome}, flipped); null to run it here, once connected
     */
    void run(SocketChannel connected, Protocol detected, ByteBuffer requestHome, ByteBuffer responseHome)
            throws IOException, InterruptedException {
        SocketChannel client = conn.client();
        SocketChannel up = connected != null ? connected : conn.dial(target, direction, metrics);
        if (up == null) {
            return;
        }
        ProxyContext ctx = conn.ctx();
        Forwarder responses = session != null ? new ResponseSwitch(session, session.responses(client),
                () -> http2.responses(client), ctx.config().http().detectTimeout())
                : Forwarder.opaque(client);
        Pump back = new Pump(conn.id(), ctx, conn.sockets(), conn.activity(), () -> client, responseHome,
                metrics.bytesToClient(), false);
        FutureTask<Void> second = ctx.threads().startSecond(conn.id(), () -> conn.leg("upstream -> client",
                Exchange.End.UPSTREAM_GONE, () -> halfClose(back.run(up, responses, null, Pump.UNTIL_END), responses, client)));

        ByteBuffer replay = detected != null ? requestHome : null;
        Forwarder requests = Forwarder.opaque(up);
        if (session != null) {
            if (detected == null) {
                // the server's bytes flow meanwhile; if it speaks first, it decided
                detected = conn.detect(requestHome, false, session::decided);
                replay = requestHome;
            }
            if (detected == Protocol.HTTP2 && ctx.config().http().http2()) {
                // made before the decision, which the response direction reads it after (the session's lock)
                http2 = new Http2Connection(session);
            }
            Protocol p = session.decide(detected == Protocol.HTTP2 && http2 == null ? Protocol.OPAQUE : detected);
            if (p == Protocol.HTTP1) {
                if (ctx.config().http().http2()) {
                    session.http2Upgrade(() -> new Http2Connection(session));
                }
                requests = session.requests(up);
            } else if (p == Protocol.HTTP2) { // decided so only with http2 made above
                requests = http2.requests(up);
            }
        }
        Pump forth = new Pump(conn.id(), ctx, conn.sockets(), conn.activity(), () -> up, requestHome,
                metrics.bytesToUpstream(), true);
        Forwarder f = requests;
        ByteBuffer first = replay;
        conn.leg("client -> upstream", Exchange.End.CLIENT_GONE,
                () -> halfClose(forth.run(client, f, first, Pump.UNTIL_END), f, up));
        ConnectionThreads.awaitSecond(second);
    }

    /**
     * A direction whose stream ended tells the other side with a FIN; the other keeps flowing until
     * it ends too, or has been silent for NETRA_HALF_CLOSED_TIMEOUT_SECONDS.
     */
    private Pump.Stop halfClose(Pump.Stop stop, Forwarder f, SocketChannel to) throws IOException {
        if (stop == Pump.Stop.END_OF_STREAM) {
            conn.ended(to == conn.client() ? Exchange.End.UPSTREAM_GONE : Exchange.End.CLIENT_GONE);
            f.endOfStream();
            to.shutdownOutput();
            conn.activity().halfClosed();
        }
        return stop;
    }
}
