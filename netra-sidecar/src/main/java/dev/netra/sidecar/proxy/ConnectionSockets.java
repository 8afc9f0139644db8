package dev.netra.sidecar.proxy;

import dev.netra.ffm.SplicePipe;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Every socket one connection holds, its client and each upstream it opened, closed together:
 * what an abort (a timeout, SIGTERM's grace period, a bug) resets.
 *
 * <p>A spliced direction uses both sockets' descriptors directly, which the JDK does not know
 * about: a socket closed under it could hand its descriptor number to another connection. So
 * while any direction splices, closing a socket waits for the last splicer to leave; splicers
 * are woken to see that the connection is closing.
 */
final class ConnectionSockets {
    private final long id;
    private final SocketChannel client;
    private final List<SocketChannel> upstreams = new ArrayList<>(1);
    private final List<Thread> splicers = new ArrayList<>(2);
    /** Upstreams retired while a direction spliced: closed when the last splicer leaves. */
    private final List<SocketChannel> retired = new ArrayList<>(0);
    private boolean closing;
    private volatile boolean aborted;

    ConnectionSockets(long id, SocketChannel client) {
        this.id = id;
        this.client = client;
    }

    SocketChannel client() {
        return client;
    }

    /** Whether {@link #abort} ran: how the connection's open exchanges ended. */
    boolean aborted() {
        return aborted;
    }

    /**
     * Takes an upstream socket as soon as it is opened (before it connects), so an abort meanwhile
     * closes it too; one opened after the connection began closing is closed at once.
     */
    void add(SocketChannel upstream) {
        synchronized (this) {
            if (!closing) {
                upstreams.add(upstream);
                return;
            }
        }
        close(upstream);
    }

    /** Closes one upstream the connection is done with (routing), now or once no direction splices. */
    void retire(SocketChannel upstream) {
        synchronized (this) {
            upstreams.remove(upstream);
            if (!splicers.isEmpty()) {
                retired.add(upstream);
                return;
            }
        }
        close(upstream);
    }

    /** Resets every socket now: closing with no linger sends RST. Returns false when already aborted. */
    boolean abort(String why) {
        synchronized (this) {
            if (aborted) {
                return false;
            }
            aborted = true;
        }
        Logger.debug("conn={} aborted: {}", id, why);
        lingerZero(client);
        for (SocketChannel up : snapshot()) {
            lingerZero(up);
        }
        close();
        return true;
    }

    /** Closes every socket (with FINs unless {@link #abort} set no linger), now or when the last splicer has left. */
    void close() {
        synchronized (this) {
            closing = true; // and no splice starts from now on
            if (!splicers.isEmpty()) {
                splicers.forEach(LockSupport::unpark);
                return;
            }
        }
        closeAll();
    }

    /**
     * Moves up to {@code limit} bytes from {@code from} to {@code to} through {@code pipe}'s kernel
     * pipe; see {@link SplicePipe#transfer}.
     *
     * @throws ClosedChannelException when the connection is closing (before or during the transfer)
     */
    long splice(SplicePipe pipe, java.util.function.LongConsumer moved, long limit) throws IOException {
        synchronized (this) {
            if (closing) {
                throw new ClosedChannelException();
            }
            splicers.add(Thread.currentThread());
        }
        try {
            return pipe.transfer(this::ensureNotClosing, moved, limit);
        } finally {
            boolean closeNow;
            List<SocketChannel> toClose = List.of();
            synchronized (this) {
                splicers.remove(Thread.currentThread());
                closeNow = splicers.isEmpty() && closing;
                if (splicers.isEmpty() && !retired.isEmpty()) {
                    toClose = List.copyOf(retired);
                    retired.clear();
                }
            }
            toClose.forEach(ConnectionSockets::close);
            if (closeNow) {
                closeAll();
            }
        }
    }

    private void ensureNotClosing() throws ClosedChannelException {
        if (Thread.currentThread().isInterrupted()) {
            // A parked thread's interrupt would make every later wait return at once (a spin);
            // a JDK channel closes on interrupt, and so does the connection here.
            abort("interrupted");
        }
        synchronized (this) {
            if (closing) {
                throw new ClosedChannelException();
            }
        }
    }

    private synchronized List<SocketChannel> snapshot() {
        return List.copyOf(upstreams);
    }

    private void closeAll() {
        close(client);
        for (SocketChannel up : snapshot()) {
            close(up);
        }
        List<SocketChannel> rest;
        synchronized (this) {
            rest = List.copyOf(retired);
            retired.clear();
        }
        rest.forEach(ConnectionSockets::close);
    }

    /** Makes closing {@code ch} a reset. */
    private static void lingerZero(SocketChannel ch) {
        try {
            if (ch.isOpen()) {
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException | RuntimeException ignored) {
            // already gone: closing is all that is left
        }
    }

    static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to release
        }
    }
}
