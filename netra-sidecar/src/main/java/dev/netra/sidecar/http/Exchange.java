package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One HTTP request and its response as they passed through: what tracing, metrics and statsd
 * consume. Written by the two copy loops (request fields by one, response fields by the other,
 * handed over through the session's queue), read by listeners once it has {@link #end()}ed.
 */
public final class Exchange {
    /** How an exchange ended. */
    public enum End {
        /** The full response went back to the client. */
        COMPLETE,
        /** The client closed or reset the connection before the response ended. */
        CLIENT_GONE,
        /** The upstream closed or reset the connection before the response ended. */
        UPSTREAM_GONE,
        /** The connection stopped being parsed (see netra_http_fallbacks_total). */
        FALLBACK,
        /** The connection was reset by netra (shutdown grace period over). */
        ABORTED,
        /** netra closed the connection: it waited longer than a timeout allows (netra_tcp_timeouts_total). */
        TIMED_OUT
    }

    private static final byte[] CONTENT_TYPE = HttpHead.bytes("content-type");

    /** The connection's session: its direction, addresses and their text are read from it. */
    private final HttpSession session;
    private final byte[] requestHead;
    private final int requestHeadLength;
    private final String method;
    private final String target;
    private final String host;
    private final String version;
    private String requestId;
    private final boolean headRequest;
    private final boolean connectRequest;
    private final boolean upgradeRequest;
    private long requestBodyBytes;
    private byte[] responseHead;
    private int responseHeadLength;
    private int status;
    private long responseBodyBytes;
    private final long requestHeadNanos;
    private long requestEndNanos;
    private long responseHeadNanos;
    private long responseEndNanos;
    private volatile End end;
    private Object attachment;
    private InetSocketAddress upstream;
    /** HTTP/2: the stream's gRPC status from the response's trailers (or a trailers-only response), -1 when none came. */
    private int grpcStatus = -1;
    private String grpcMessage;
    /** HTTP/2: the error code of the RST_STREAM that ended the stream, -1 when none did. */
    private long resetCode = -1;
    private final boolean requestKeepAlive;
    private boolean responseKeepAlive;

    Exchange(HttpSession session, HttpHead head, byte[] headCopy, long now) {
        this(session, head, headCopy, now, head.version());
    }

    /** @param version "1.1", "1.0", or "2" for an HTTP/2 stream, whose head the HTTP/2 engine wrote as HTTP/1 */
    Exchange(HttpSession session, HttpHead head, byte[] headCopy, long now, String version) {
        this.session = session;
        System.arraycopy(head.bytes(), 0, headCopy, 0, head.length());
        this.requestHead = headCopy;
        this.requestHeadLength = head.length();
        this.method = head.method();
        this.target = head.target();
        this.host = head.host();
        this.version = version;
        this.headRequest = head.methodIs(Http.HEAD);
        this.connectRequest = head.methodIs(Http.CONNECT);
        this.upgradeRequest = head.hasUpgrade();
        this.requestKeepAlive = head.keepAlive();
        this.requestHeadNanos = now;
    }

    void requestId(String id) {
        this.requestId = id;
    }

    void requestEnded(long bodyBytes, long now) {
        this.requestBodyBytes = bodyBytes;
        this.requestEndNanos = now;
    }

    void responseHead(HttpHead head, byte[] headCopy, long now) {
        System.arraycopy(head.bytes(), 0, headCopy, 0, head.length());
        this.responseHead = headCopy;
        this.responseHeadLength = head.length();
        this.status = head.status();
        this.responseHeadNanos = now;
        this.responseKeepAlive = head.keepAlive();
    }

    /** A response's status without a copy of its head (an HTTP/2 stream over the head-bytes bound). */
    void status(int status, long now) {
        this.status = status;
        this.responseHeadNanos = now;
    }

    /** The bytes of the head copies this exchange holds. */
    int headBytes() {
        return requestHeadLength + responseHeadLength;
    }

    void responseEnded(long bodyBytes, long now) {
        this.responseBodyBytes = bodyBytes;
        this.responseEndNanos = now;
    }

    void requestBody(long n) {
        this.requestBodyBytes += n;
    }

    void requestEnded(long now) {
        this.requestEndNanos = now;
    }

    void responseBody(long n) {
        this.responseBodyBytes += n;
    }

    void grpc(int status, String message) {
        this.grpcStatus = status;
        this.grpcMessage = message;
    }

    void reset(long code) {
        this.resetCode = code;
    }

    void end(End how) {
        this.end = how;
    }

    boolean isHeadRequest() {
        return headRequest;
    }

    boolean isConnect() {
        return connectRequest;
    }

    boolean isUpgrade() {
        return upgradeRequest;
    }

    public Direction direction() {
        return session.direction;
    }

    public InetSocketAddress client() {
        return session.client;
    }

    /** The client's IP address as text, or null when unknown: the same string for every exchange of a connection. */
    public String clientHost() {
        return session.clientHost();
    }

    /** The client's "ip:port", or null when unknown: the same string for every exchange of a connection. */
    public String clientHostAndPort() {
        return session.clientHostAndPort();
    }

    public InetSocketAddress destination() {
        return session.destination;
    }

    public String method() {
        return method;
    }

    /** Path and query as sent. */
    public String target() {
        return target;
    }

    /** The path of the target, without the query (origin form) or scheme and authority (absolute form). */
    public String path() {
        String t = target;
        if (t.startsWith("http://") || t.startsWith("https://")) {
            int slash = t.indexOf('/', t.indexOf("//") + 2);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    /** The query without '?', or null. */
    public String query() {
        int q = target.indexOf('?');
        return q < 0 ? null : target.substring(q + 1);
    }

    /** The Host header, or null. */
    public String host() {
        return host;
    }

    /** "1.1", "1.0", or "2". */
    public String version() {
        return version;
    }

    /** The request-id header's value (as received, or as netra added it). */
    public String requestId() {
        return requestId;
    }

    /**
     * The request head as received (before netra's edits). Read-only, and valid only while
     * {@link ExchangeListener#onExchange} runs: the array is reused afterwards.
     */
    public ByteBuffer requestHead() {
        return ByteBuffer.wrap(requestHead, 0, requestHeadLength).asReadOnlyBuffer();
    }

    /** The final response head as received, or null when there was none; same contract. */
    public ByteBuffer responseHead() {
        return responseHead == null ? null : ByteBuffer.wrap(responseHead, 0, responseHeadLength).asReadOnlyBuffer();
    }

    /** First value of a request header, case-insensitive, or null. */
    public String requestHeader(String name) {
        return HttpHead.find(requestHead, requestHeadLength, lower(name));
    }

    /** First value of a request header given as lower-case bytes (see {@link HttpHead#bytes}), or null. */
    public String requestHeader(byte[] lowerCaseName) {
        return HttpHead.find(requestHead, requestHeadLength, lowerCaseName);
    }

    /** First value of a response header, case-insensitive, or null. */
    public String responseHeader(String name) {
        return responseHead == null ? null : HttpHead.find(responseHead, responseHeadLength, lower(name));
    }

    /** The arrays holding the heads, handed back to the session for reuse once listeners ran. */
    byte[] requestHeadArray() {
        return requestHead;
    }

    byte[] responseHeadArray() {
        return responseHead;
    }

    /** The status of the final response, 0 when there was none. */
    public int status() {
        return status;
    }

    public long requestBodyBytes() {
        return requestBodyBytes;
    }

    public long responseBodyBytes() {
        return responseBodyBytes;
    }

    public long requestHeadNanos() {
        return requestHeadNanos;
    }

    public long requestEndNanos() {
        return requestEndNanos;
    }

    public long responseHeadNanos() {
        return responseHeadNanos;
    }

    public long responseEndNanos() {
        return responseEndNanos;
    }

    public End end() {
        return end;
    }

    /** Whether the request came on an HTTP/2 stream. */
    public boolean http2() {
        return version.equals("2");
    }

    /** Whether this is a gRPC call: an HTTP/2 request whose content-type is application/grpc (or a +suffix or ;parameter of it). */
    public boolean grpc() {
        if (!http2()) {
            return false;
        }
        String type = requestHeader(CONTENT_TYPE);
        return type != null && type.startsWith("application/grpc");
    }

    /** The gRPC status the response's trailers carried (grpc-status), -1 when none. */
    public int grpcStatus() {
        return grpcStatus;
    }

    /** The grpc-message of the response's trailers as sent (percent-encoded), or null. */
    public String grpcMessage() {
        return grpcMessage;
    }

    /** The error code of the RST_STREAM that ended an HTTP/2 stream, -1 when none did. */
    public long resetCode() {
        return resetCode;
    }

    /** Where the request went when routing sent it elsewhere than its original destination, else null. */
    public InetSocketAddress upstream() {
        return upstream;
    }

    /** Routing's choice, made while the request head passes. */
    public void upstream(InetSocketAddress to) {
        this.upstream = to;
    }

    /** Whether both request and response allow the connection to carry another exchange. */
    public boolean keepAlive() {
        return requestKeepAlive && responseKeepAlive;
    }

    /** Completes an exchange with a response netra wrote itself (502 when a routed target cannot be reached). */
    void localResponse(int status, long bodyBytes, long now) {
        this.status = status;
        this.responseHeadNanos = now;
        this.responseBodyBytes = bodyBytes;
        this.responseEndNanos = now;
    }

    /** Lets a header edit leave something for a listener (the tracing span). */
    public void attach(Object o) {
        this.attachment = o;
    }

    public Object attachment() {
        return attachment;
    }

    private static byte[] lower(String name) {
        return HttpHead.bytes(name.toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public String toString() {
        return session.direction.label() + " " + method + " " + target + " -> " + status + " (" + end + ")";
    }
}
