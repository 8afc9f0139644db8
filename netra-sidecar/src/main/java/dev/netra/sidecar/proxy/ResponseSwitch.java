package dev.netra.sidecar.proxy;

import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.detect.ProtocolDetector;
import dev.netra.sidecar.http.Forwarder;
import dev.netra.sidecar.http.HttpSession;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The response direction of a connection whose protocol the client's first bytes decide, which
 * may come after the server's: HTTP/1's response framer (which goes raw on its own for anything
 * but HTTP/1), or HTTP/2's framer once the client's preface chose it. Chosen at the first bytes
 * read and kept.
 */
final class ResponseSwitch implements Forwarder {
    private final HttpSession session;
    private final Supplier<Forwarder> http2;
    private Forwarder chosen;
    private final long decisionWaitNanos;
    private boolean settled;

    /** @param decisionWait how long a server's HTTP/2 preface waits for the client's first bytes to decide */
    ResponseSwitch(HttpSession session, Forwarder http1, Supplier<Forwarder> http2, Duration decisionWait) {
        this.session = session;
        this.chosen = http1;
        this.http2 = http2;
        this.decisionWaitNanos = decisionWait.toNanos();
    }

    @Override
    public void forward(ByteBuffer in) throws IOException {
        if (!settled && ProtocolDetector.http2ServerPreface(in)) {
            // an HTTP/2 server sends its SETTINGS as soon as it accepted, often before the client's
            // preface reached netra: not a server that speaks first, if the client's bytes say HTTP/2
            try {
                session.awaitDecision(decisionWaitNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for the client's first bytes");
            }
        }
        Protocol decided = settled ? null : session.protocol();
        if (decided != null) {
            settled = true;
            if (decided == Protocol.HTTP2) {
                chosen = http2.get();
            }
        }
        chosen.forward(in);
    }

    @Override
    public void endOfStream() throws IOException {
        chosen.endOfStream();
    }

    @Override
    public boolean betweenMessages() {
        return chosen.betweenMessages();
    }

    @Override
    public boolean raw() {
        return chosen.raw();
    }

    @Override
    public long passable() {
        return chosen.passable();
    }

    @Override
    public void passed(long n) throws IOException {
        chosen.passed(n);
    }

    @Override
    public boolean midHead() {
        return chosen.midHead();
    }
}
