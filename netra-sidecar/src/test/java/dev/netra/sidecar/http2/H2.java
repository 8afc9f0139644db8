package dev.netra.sidecar.http2;

import dev.netra.sidecar.detect.ProtocolDetector;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.hpack.HpackEncoder;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/** HTTP/2 bytes for tests: frames, and header blocks from a real HPACK encoder (Jetty's). */
public final class H2 {
    public static final byte[] PREFACE = ProtocolDetector.HTTP2_PREFACE;
    public static final int DATA = Http2Framer.DATA;
    public static final int HEADERS = Http2Framer.HEADERS;
    public static final int RST_STREAM = Http2Framer.RST_STREAM;
    public static final int END_STREAM = Http2Framer.END_STREAM;
    public static final int END_HEADERS = Http2Framer.END_HEADERS;

    private H2() {
    }

    public static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        b.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        return b.array();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    public static HpackEncoder encoder() {
        HpackEncoder e = new HpackEncoder();
        e.setMaxHeaderListSize(1 << 20);
        return e;
    }

    public static byte[] encode(HpackEncoder encoder, MetaData md) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(256 * 1024);
        encoder.encode(b, md);
        b.flip();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** A request to http://{authority}{pathQuery}. */
    public static MetaData.Request request(String method, String authority, String pathQuery, HttpFields.Mutable fields) {
        return new MetaData.Request(method, HttpURI.from("http://" + authority + pathQuery), HttpVersion.HTTP_2, fields);
    }

    public static MetaData.Response response(int status, HttpFields.Mutable fields) {
        return new MetaData.Response(status, null, HttpVersion.HTTP_2, fields);
    }

    public static MetaData trailers(HttpFields.Mutable fields) {
        return new MetaData(HttpVersion.HTTP_2, fields);
    }
}
