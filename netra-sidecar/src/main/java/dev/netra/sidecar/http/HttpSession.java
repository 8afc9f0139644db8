package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;
import dev.netra.sidecar.detect.Protocol;
import org.tinylog.Logger;

import java.net.InetSocketAddress;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;

/**
 * The HTTP state one intercepted connection shares between its two copy loops: the protocol
 * decision, the requests waiting for their responses (FIFO, so pipelining pairs up), and the
 * verdict on an Upgrade or CONNECT.
 */
public final class HttpSession {
    /** Requests in flight on one connection at most; a deeper pipeline goes opaque. */
    static final int MAX_PIPELINE = 128;

    enum Verdict { NONE, TUNNEL, REFUSED }

    final long id;
    final Direction direction;
    final InetSocketAddress client;
    final InetSocketAddress destination;
    final HttpSettings settings;
    private final ArrayDeque<Exchange> pending = new ArrayDeque<>();
    private Exchange responding;
    /** Null until decided: by the detect stage, or OPAQUE by a server that spoke first. */
    private Protocol protocol;
    /** The port is listed in NETRA_HTTP_PORTS: anything but HTTP/1 there is counted as a fallback. */
    private final boolean httpPort;
    private volatile Verdict verdict = Verdict.NONE;
    private String fallbackReason;
    private UpstreamSelector selector;
    /** The client's address as text, made at the first span that needs it, then kept for the connection's life. */
    private String clientHost;
    private String clientHostAndPort;

    /** Chooses, per request, where its bytes go (routing); called with the request head parsed and edited. */
    @FunctionalInterface
    public interface UpstreamSelector {
        void select(Exchange e) throws java.io.IOException;
    }

    /** What the HTTP engine needs from the rest of the sidecar. */
    public HttpSettings settings() {
        return settings;
    }

    /** The connection's id, for log lines. */
    public long id() {
        return id;
    }

    /** Routing sets this; without it every request goes to the connection's one upstream. */
    public void selector(UpstreamSelector s) {
        this.selector = s;
    }

    UpstreamSelector selector() {
        return selector;
    }

    /**
     * Answers the oldest open request with a response of netra's own (the one place netra speaks
     * HTTP: 502 for an unreachable routed target), written to {@code client}.
     */
    public void respondLocally(Exchange e, java.nio.channels.WritableByteChannel client, int status, String reason,
                               String body) throws java.io.IOException {
        synchronized (this) {
            responding = pending.pollFirst();
        }
        byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + b.length + "\r\n\r\n";
        Forwarder.writeFully(client, java.nio.ByteBuffer.wrap(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        Forwarder.writeFully(client, java.nio.ByteBuffer.wrap(b));
        e.localResponse(status, b.length, System.nanoTime());
        complete(e);
    }

    /**
     * @param httpPort the port is listed in NETRA_HTTP_PORTS: a connection that turns out not to
     *                 speak HTTP/1 there is a fallback (counted, WARN), elsewhere it is just opaque
     */
    public HttpSession(long id, Direction direction, InetSocketAddress client, InetSocketAddress destination,
                       HttpSettings settings, boolean httpPort) {
        this.id = id;
        this.direction = direction;
        this.client = client;
        this.destination = destination;
        this.settings = settings;
        this.httpPort = httpPort;
    }

    /**
     * The client's IP address as text (a span attribute): made once per connection rather than
     * per span. Both directions may ask; a racing second copy is the same immutable string.
     */
    String clientHost() {
        String h = clientHost;
        if (h == null && client != null) {
            h = client.getAddress().getHostAddress();
            clientHost = h;
        }
        return h;
    }

    /** The client's address and port as text, "ip:port", made once per connection like {@link #clientHost()}. */
    String clientHostAndPort() {
        String h = clientHostAndPort;
        if (h == null && client != null) {
            h = clientHost() + ":" + client.getPort();
            clientHostAndPort = h;
        }
        return h;
    }

    // HTTP/2: each stream is an exchange, open from its request head until its response ended or
    // it was reset; the HTTP/2 engine (http2 package) reports what passes, by stream id.

    /** Open streams at most; a stream beyond passes without an exchange. */
    static final int MAX_STREAMS = 1024;
    /** Head bytes the open streams' exchanges may hold in all; a stream beyond passes without an exchange. */
    static final int MAX_STREAM_HEAD_BYTES = 1 << 20;
    private java.util.HashMap<Integer, Exchange> streams;
    private long streamHeadBytes;
    private boolean streamsOverLimit;

    /** What HTTP/2 takes over with after an `Upgrade: h2c` answered 101: one per connection, made when needed. */
    public interface Http2Upgrade {
        Forwarder requests(WritableByteChannel upstream);

        Forwarder responses(WritableByteChannel client);
    }

    private java.util.function.Supplier<Http2Upgrade> http2Factory;
    private Http2Upgrade http2Upgrade;
    private volatile boolean upgradedToHttp2;

    /** Where NETRA_HTTP2 is on: an `Upgrade: h2c` answered 101 is followed into HTTP/2, else it is a tunnel. */
    public synchronized void http2Upgrade(java.util.function.Supplier<Http2Upgrade> factory) {
        this.http2Factory = factory;
    }

    synchronized Http2Upgrade http2Upgrade() {
        if (http2Upgrade == null && http2Factory != null) {
            http2Upgrade = http2Factory.get();
        }
        return http2Upgrade;
    }

    /** Whether a 101 to `Upgrade: h2c` made the connection HTTP/2. */
    boolean upgradedToHttp2() {
        return upgradedToHttp2;
    }

    /** A 101 switched to HTTP/2: the upgrading request is stream 1, answered there (RFC 7540 §3.2). */
    void toHttp2(Exchange upgrading) {
        synchronized (this) {
            if (responding == upgrading) {
                responding = null;
            }
            if (streams == null) {
                streams = new java.util.HashMap<>();
            }
            streams.put(1, upgrading);
            streamHeadBytes += upgrading.headBytes();
            upgradedToHttp2 = true;
        }
        verdict(Verdict.TUNNEL);
    }

    /** A header editor for an HTTP/2 direction: {@link #openStream} collects a request's edits in it. */
    public HeaderEditor editor() {
        return new HeaderEditor(settings.heads());
    }

    /**
     * Opens the exchange of a stream whose request head is {@code head} (written as HTTP/1 by the
     * HTTP/2 engine) and collects netra's edits in {@code editor}; null when the stream has one
     * already, or when the open streams are at {@link #MAX_STREAMS} or hold
     * {@link #MAX_STREAM_HEAD_BYTES} (counted once per connection, as a fallback reason).
     */
    public Exchange openStream(int streamId, HttpHead head, HeaderEditor editor) {
        boolean overLimit;
        synchronized (this) {
            if (streams == null) {
                streams = new java.util.HashMap<>();
            }
            if (streams.containsKey(streamId)) {
                return null;
            }
            overLimit = streams.size() >= MAX_STREAMS || streamHeadBytes + head.length() > MAX_STREAM_HEAD_BYTES;
            if (!overLimit) {
                streamHeadBytes += head.length();
            } else if (streamsOverLimit) {
                return null;
            } else {
                streamsOverLimit = true;
            }
        }
        if (overLimit) {
            settings.fallbacks().count(direction, "http2 streams over the limit");
            Logger.warn("conn={} {} HTTP/2 streams over the limit ({} open, {} head bytes at most): further streams"
                    + " pass without spans or metrics", id, direction.label(), MAX_STREAMS, MAX_STREAM_HEAD_BYTES);
            return null;
        }
        Exchange e = new Exchange(this, head, headArray(head.length()), System.nanoTime(), "2");
        synchronized (this) {
            streams.put(streamId, e);
        }
        editor.reset();
        settings.edits().edit(head, e, editor);
        return e;
    }

    private synchronized Exchange stream(int streamId) {
        return streams == null ? null : streams.get(streamId);
    }

    /** Request body bytes of a stream (DATA); {@code end}: its END_STREAM. */
    public void streamRequest(int streamId, long bytes, boolean end) {
        Exchange e = stream(streamId);
        if (e != null) {
            e.requestBody(bytes);
            if (end) {
                e.requestEnded(System.nanoTime());
            }
        }
    }

    /** A stream's final response head (written as HTTP/1); its 1xx heads are not reported. */
    public void streamResponseHead(int streamId, HttpHead head) {
        Exchange e = stream(streamId);
        if (e == null || e.status() != 0) {
            return;
        }
        synchronized (this) {
            if (streamHeadBytes + head.length() > MAX_STREAM_HEAD_BYTES) {
                e.status(head.status(), System.nanoTime()); // the status, without a copy of the head
                return;
            }
            streamHeadBytes += head.length();
        }
        e.responseHead(head, headArray(head.length()), System.nanoTime());
    }

    /** The gRPC status (and message) a stream's trailers carried. */
    public void streamGrpc(int streamId, int status, String message) {
        Exchange e = stream(streamId);
        if (e != null) {
            e.grpc(status, message);
        }
    }

    /** Response body bytes of a stream (DATA); {@code end}: its END_STREAM, which completes the exchange. */
    public void streamResponse(int streamId, long bytes, boolean end) {
        Exchange e = stream(streamId);
        if (e != null) {
            e.responseBody(bytes);
            if (end) {
                e.responseEnded(e.responseBodyBytes(), System.nanoTime());
                endStream(streamId, Exchange.End.COMPLETE);
            }
        }
    }

    /** A stream was reset (RST_STREAM) with {@code code}: by the client, or by the upstream. */
    public void streamReset(int streamId, boolean byClient, long code) {
        Exchange e = stream(streamId);
        if (e != null) {
            e.reset(code);
            endStream(streamId, byClient ? Exchange.End.CLIENT_GONE : Exchange.End.UPSTREAM_GONE);
        }
    }

    /** The upstream's GOAWAY: streams above {@code lastStreamId} will not be processed. */
    public void goAway(int lastStreamId) {
        int[] ids;
        synchronized (this) {
            if (streams == null) {
                return;
            }
            ids = streams.keySet().stream().mapToInt(Integer::intValue).filter(id -> id > lastStreamId).toArray();
        }
        for (int id : ids) {
            endStream(id, Exchange.End.UPSTREAM_GONE);
        }
    }

    private void endStream(int streamId, Exchange.End how) {
        Exchange e;
        synchronized (this) {
            e = streams == null ? null : streams.remove(streamId);
            if (e != null) {
                streamHeadBytes -= e.headBytes();
            }
        }
        if (e != null) {
            finish(e, how);
        }
    }

    /** The framer of the client-to-upstream direction. */
    public Forwarder requests(WritableByteChannel upstream) {
        return new RequestFramer(this, upstream);
    }

    /** The framer of the upstream-to-client direction. */
    public Forwarder responses(WritableByteChannel client) {
        return new ResponseFramer(this, client, null);
    }

    /**
     * The framer of one of several upstreams (routing): it frames only the response to the
     * request {@code expected} names (null while it carries none); bytes beyond that response go
     * to the client raw at once, as a fallback.
     */
    public Forwarder responses(WritableByteChannel client, java.util.function.Supplier<Exchange> expected) {
        return new ResponseFramer(this, client, expected);
    }

    /** Whether HTTP is parsed: false before the protocol is decided, and once the connection went opaque. */
    public synchronized boolean parsed() {
        return protocol == Protocol.HTTP1 || protocol == Protocol.HTTP2;
    }

    /** The protocol decided, null while it is not. */
    public synchronized Protocol protocol() {
        return protocol;
    }

    /** Whether the protocol is decided (the detect stage stops reading once the server spoke first). */
    public synchronized boolean decided() {
        return protocol != null;
    }

    /**
     * Settles the protocol by the detect stage's verdict, unless the server spoke first. Returns
     * the protocol in force afterwards.
     */
    public Protocol decide(Protocol p) {
        return settle(p, Direction.INBOUND, p == Protocol.OPAQUE ? "not an HTTP/1 request" : p.label());
    }

    /**
     * Waits until the protocol is decided, at most {@code nanos}: what an HTTP/2 server's preface,
     * sent as soon as it accepted, waits for, rather than being taken for a server that speaks first.
     */
    public synchronized boolean awaitDecision(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (protocol == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** The server sent bytes before the protocol was decided: no HTTP/1 client waits for that. */
    Protocol serverSpokeFirst() {
        return settle(Protocol.OPAQUE, Direction.OUTBOUND, "the server spoke first");
    }

    private Protocol settle(Protocol p, Direction side, String reason) {
        synchronized (this) {
            if (protocol != null) {
                return protocol;
            }
            protocol = p;
            notifyAll(); // a response direction may wait in awaitDecision
            if (p == Protocol.HTTP1 || p == Protocol.HTTP2 || !httpPort) {
                return p;
            }
            fallbackReason = reason;
        }
        reportFallback(side, reason);
        return p;
    }

    /** From now on both directions forward raw bytes. Counted once per connection (a WARN) while HTTP/1 was parsed. */
    public void fallback(Direction side, String reason) {
        synchronized (this) {
            boolean first = parsed() && fallbackReason == null;
            protocol = Protocol.OPAQUE;
            if (!first) {
                return;
            }
            fallbackReason = reason;
        }
        reportFallback(side, reason);
    }

    private void reportFallback(Direction side, String reason) {
        settings.fallbacks().count(direction, reason);
        Logger.warn("conn={} {} HTTP not parsed from here on ({} side: {}); forwarding raw bytes",
                id, direction.label(), side == Direction.INBOUND ? "request" : "response", reason);
    }

    synchronized boolean enqueue(Exchange e) {
        if (pending.size() >= MAX_PIPELINE) {
            return false;
        }
        pending.addLast(e);
        return true;
    }

    /**
     * When the oldest request still without a response head was fully sent (System.nanoTime),
     * or 0 when none waits: what the response-head timeout measures from.
     */
    public synchronized long unansweredSince() {
        Exchange oldest = responding == null ? pending.peekFirst() : null;
        return oldest == null ? 0 : oldest.requestEndNanos();
    }

    synchronized Exchange peek() {
        return pending.peekFirst();
    }

    /** The oldest request gets its final response now. */
    synchronized Exchange startResponse() {
        responding = pending.pollFirst();
        return responding;
    }

    void complete(Exchange e) {
        synchronized (this) {
            if (responding == e) {
                responding = null;
            }
        }
        finish(e, Exchange.End.COMPLETE);
    }

    Verdict verdict() {
        return verdict;
    }

    /** True once a 101 or a 2xx to CONNECT made the connection a tunnel. */
    public boolean tunneled() {
        return verdict == Verdict.TUNNEL;
    }

    void verdict(Verdict v) {
        verdict = v;
    }

    /**
     * The connection is over: every exchange still open ends the way given (or as a fallback
     * when the connection stopped being parsed) and is reported.
     */
    public void close(Exchange.End how) {
        Exchange[] open;
        Exchange.End end;
        synchronized (this) {
            end = fallbackReason != null ? Exchange.End.FALLBACK : how;
            int n = pending.size() + (responding != null ? 1 : 0) + (streams == null ? 0 : streams.size());
            open = new Exchange[n];
            int i = 0;
            if (streams != null) {
                for (Exchange s : streams.values()) {
                    open[i++] = s;
                }
                streams.clear();
                streamHeadBytes = 0;
            }
            if (responding != null) {
                open[i++] = responding;
                responding = null;
            }
            while (!pending.isEmpty()) {
                open[i++] = pending.pollFirst();
            }
        }
        for (Exchange e : open) {
            finish(e, end);
        }
    }

    private void finish(Exchange e, Exchange.End how) {
        // complete() and an aborting close() may both reach one exchange: it ends once, or its
        // head arrays would go back to the shared pool twice and two connections would share one
        synchronized (this) {
            if (e.end() != null) {
                return;
            }
            e.end(how);
        }
        try {
            settings.listener().onExchange(e);
        } catch (RuntimeException bug) {
            Logger.error(bug, "conn={} exchange listener failed", id);
        }
        giveBack(e.requestHeadArray());
        giveBack(e.responseHeadArray());
    }

    /** An array of at least {@code length} bytes for the head copy an exchange keeps until it ends. */
    byte[] headArray(int length) {
        return settings.heads().acquire(length);
    }

    private void giveBack(byte[] b) {
        settings.heads().release(b);
    }
}
