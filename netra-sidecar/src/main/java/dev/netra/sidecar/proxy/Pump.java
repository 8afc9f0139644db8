package dev.netra.sidecar.proxy;

import dev.netra.ffm.SplicePipe;
import dev.netra.sidecar.http.Forwarder;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One direction of a connection, the only copy loop there is: a blocking read, handed to the
 * forwarder (which writes it, raw or framed) before the next read; buffers sized by what flows
 * ({@link DirectionBuffers}); a bulk flow of bytes that pass unchanged (raw, or a long HTTP body)
 * goes on by splice. On a platform thread, the top of the loop is the one safe point where a
 * direction stops to move to a virtual thread ({@link ConnectionThreads}).
 */
final class Pump {
    /** For a direction that runs until its stream ends. */
    static final BooleanSupplier UNTIL_END = () -> false;

    /** Why {@link #run} returned. */
    enum Stop {
        /** The reading side ended its stream. */
        END_OF_STREAM,
        /** The caller's condition holds (a routed response ended). */
        DONE,
        /** On a platform thread that is to move: called again on a virtual thread, it goes on. */
        MOVE
    }

    private final long id;
    private final ProxyContext ctx;
    private final ConnectionSockets sockets;
    private final Activity activity;
    /** Where spliced bytes go: the socket the forwarder writes to now (null: none, copy). */
    private final Supplier<SocketChannel> to;
    private final ByteBuffer home;
    private final CounterDataPoint bytes;
    /** Whether this direction carries requests: its heads are what the request-head timeout watches. */
    private final boolean requests;
    private boolean spliceRefused;

    Pump(long id, ProxyContext ctx, ConnectionSockets sockets, Activity activity, Supplier<SocketChannel> to,
         ByteBuffer home, CounterDataPoint bytes, boolean requests) {
        this.id = id;
        this.ctx = ctx;
        this.sockets = sockets;
        this.activity = activity;
        this.to = to;
        this.home = home;
        this.bytes = bytes;
        this.requests = requests;
    }

    /**
     * Forwards {@code replay} (bytes read before, e.g. by the detect stage; may be null), then
     * reads {@code from} and forwards until its stream ends or {@code done} holds.
     */
    Stop run(SocketChannel from, Forwarder forwarder, ByteBuffer replay, BooleanSupplier done) throws IOException {
        DirectionBuffers buffers = ctx.directionBuffers(home);
        boolean platform = !Thread.currentThread().isVirtual();
        try {
            if (replay != null && replay.hasRemaining()) {
                int n = replay.remaining();
                forwarded(forwarder, replay, n);
            }
            while (!done.getAsBoolean()) {
                if (platform && ctx.threads().crowded()) {
                    return Stop.MOVE;
                }
                int n = buffers.read(from);
                if (n < 0) {
                    return Stop.END_OF_STREAM;
                }
                forwarded(forwarder, buffers.current(), n);
                if (buffers.becameBulk(n, forwarder.betweenMessages())) {
                    long passable = forwarder.passable();
                    SocketChannel out = to.get();
                    if (passable >= Pipes.PIPE_BYTES && out != null && ctx.pipes().available()) {
                        if (platform) {
                            return Stop.MOVE; // a splice waits on the JDK's poller: only virtual threads splice
                        }
                        long spliced = splice(from, out, buffers, passable);
                        if (spliced >= 0) {
                            forwarder.passed(spliced);
                            if (spliced < passable) {
                                return Stop.END_OF_STREAM;
                            }
                            continue; // a body ended: the next message is read and framed
                        }
                        spliceRefused = true;
                    }
                    buffers.borrowLarge();
                }
            }
            return Stop.DONE;
        } finally {
            buffers.giveBack();
        }
    }

    private void forwarded(Forwarder forwarder, ByteBuffer b, int n) throws IOException {
        activity.touch();
        forwarder.forward(b);
        bytes.inc(n);
        if (requests) {
            activity.requestHead(forwarder.midHead());
        }
    }

    /**
     * The next {@code limit} bytes (the rest of the stream, for raw bytes), moved by the kernel
     * through a pipe: returns the bytes moved (fewer when the stream ended first), or -1 when no
     * pipe was had and they are to be copied.
     */
    private long splice(SocketChannel from, SocketChannel out, DirectionBuffers buffers, long limit) throws IOException {
        SplicePipe pipe = ctx.pipes().open(id, from, out, !spliceRefused);
        if (pipe == null) {
            return -1;
        }
        try {
            buffers.giveBack();
            return sockets.splice(pipe, n -> {
                bytes.inc(n);
                activity.touch();
            }, limit);
        } finally {
            ctx.pipes().release(pipe);
        }
    }
}
