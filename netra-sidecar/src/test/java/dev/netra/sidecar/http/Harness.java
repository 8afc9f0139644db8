package dev.netra.sidecar.http;

import dev.netra.sidecar.Direction;

import dev.netra.sidecar.detect.Protocol;
import dev.netra.sidecar.detect.ProtocolDetector;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Drives the two framers of one session with chosen splits and records what they write. */
final class Harness {
    final List<Exchange> exchanges = new ArrayList<>();
    final List<String> fallbacks = new ArrayList<>();
    final ByteArrayOutputStream toUpstream = new ByteArrayOutputStream();
    final ByteArrayOutputStream toClient = new ByteArrayOutputStream();
    /** Bytes a write call takes at most; tests that count calls raise it. */
    int maxPerCall = 7;
    final RecordingChannel upstreamChannel;
    final RecordingChannel clientChannel;
    final HttpSession session;
    final Forwarder requests;
    final Forwarder responses;

    Harness(Direction direction, HeaderEdits edits, boolean detect) {
        this(direction, edits, detect, 64 * 1024);
    }

    Harness(Direction direction, HeaderEdits edits, boolean detect, int maxHeaderBytes) {
        this(direction, edits, detect, maxHeaderBytes, new HeadArrays());
    }

    Harness(Direction direction, HeaderEdits edits, boolean detect, int maxHeaderBytes, HeadArrays heads) {
        HttpSettings settings = new HttpSettings(maxHeaderBytes, edits,
                exchanges::add, (d, reason) -> fallbacks.add(reason), heads);
        session = new HttpSession(1, direction, new InetSocketAddress("10.0.0.1", 40000),
                new InetSocketAddress("10.0.0.2", 80), settings, !detect);
        upstreamChannel = channel(toUpstream);
        clientChannel = channel(toClient);
        requests = session.requests(upstreamChannel);
        responses = session.responses(clientChannel);
        if (!detect) {
            session.decide(Protocol.HTTP1);
        }
    }

    /** What the detect stage does with a client's first bytes (the whole of its first send here). */
    private void detected(byte[] first) {
        if (!session.decided()) {
            Protocol p = ProtocolDetector.detect(ByteBuffer.wrap(first));
            session.decide(p == null ? Protocol.OPAQUE : p);
        }
    }

    /** No edits: the framers must then be the identity on the bytes. */
    static Harness transparent() {
        return transparentWith(new HeadArrays());
    }

    /** {@link #transparent()}, borrowing head arrays from {@code heads}. */
    static Harness transparentWith(HeadArrays heads) {
        return new Harness(Direction.INBOUND, (h, e, ed) -> { }, true, 64 * 1024, heads);
    }

    void client(byte[] bytes, int... splits) throws IOException {
        detected(bytes);
        feed(requests, bytes, splits);
    }

    void server(byte[] bytes, int... splits) throws IOException {
        feed(responses, bytes, splits);
    }

    void clientBytewise(byte[] bytes) throws IOException {
        detected(bytes);
        for (byte b : bytes) {
            requests.forward(ByteBuffer.allocateDirect(1).put(b).flip());
        }
    }

    void serverBytewise(byte[] bytes) throws IOException {
        for (byte b : bytes) {
            responses.forward(ByteBuffer.allocateDirect(1).put(b).flip());
        }
    }

    void endOfStreams() throws IOException {
        requests.endOfStream();
        responses.endOfStream();
    }

    private static void feed(Forwarder f, byte[] bytes, int... splits) throws IOException {
        int from = 0;
        for (int split : splits) {
            f.forward(direct(bytes, from, split));
            from = split;
        }
        f.forward(direct(bytes, from, bytes.length));
    }

    private static ByteBuffer direct(byte[] bytes, int from, int to) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(1, to - from));
        b.put(bytes, from, to - from).flip();
        return b;
    }

    private RecordingChannel channel(ByteArrayOutputStream sink) {
        return new RecordingChannel(sink);
    }

    /**
     * Records what the framers write. Takes at most {@link #maxPerCall} bytes per call, so that
     * every test also exercises partial writes (single and gathering); counts the calls.
     */
    final class RecordingChannel implements GatheringByteChannel {
        private final ByteArrayOutputStream sink;
        int calls;

        RecordingChannel(ByteArrayOutputStream sink) {
            this.sink = sink;
        }

        @Override
        public int write(ByteBuffer src) {
            calls++;
            return take(src, maxPerCall);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            calls++;
            int budget = maxPerCall;
            long n = 0;
            for (int i = offset; i < offset + length && budget > 0; i++) {
                int k = take(srcs[i], budget);
                budget -= k;
                n += k;
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        private int take(ByteBuffer src, int budget) {
            int n = Math.min(src.remaining(), budget);
            byte[] b = new byte[n];
            src.get(b);
            sink.write(b, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String str(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
