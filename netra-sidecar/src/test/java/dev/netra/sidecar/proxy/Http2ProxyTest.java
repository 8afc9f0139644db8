package dev.netra.sidecar.proxy;

import dev.netra.sidecar.Main;
import dev.netra.sidecar.config.SidecarConfig;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.RequestIdEdits;
import dev.netra.sidecar.http2.H2;
import dev.netra.sidecar.metrics.ProxyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.hpack.HpackDecoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HTTP/2 through a real listener: detected by the client's preface, each stream an exchange. */
class Http2ProxyTest {
    private static final byte[] SETTINGS = H2.frame(4, 0, 0, new byte[] {0, 3, 0, 0, 0, 100});
    private Listener listener;
    private ServerSocket upstream;

    @AfterEach
    void close() throws IOException {
        if (listener != null) {
            listener.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void aServerWhosePrefaceComesFirstIsStillParsedAsHttp2() throws Exception {
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        byte[] responseBlock = H2.encode(H2.encoder(), H2.response(200, HttpFields.build().add("content-type", "text/plain")));
        byte[] response = H2.concat(SETTINGS, H2.frame(H2.HEADERS, H2.END_HEADERS, 1, responseBlock),
                H2.frame(H2.DATA, H2.END_STREAM, 1, "hello".getBytes()));
        CountDownLatch serverSpoke = new CountDownLatch(1);
        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
            try (Socket s = upstream.accept()) {
                s.getOutputStream().write(SETTINGS); // an HTTP/2 server's preface, at once
                serverSpoke.countDown();
                DataInputStream in = new DataInputStream(s.getInputStream());
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] preface = new byte[24];
                in.readFully(preface);
                got.writeBytes(preface);
                while (true) { // frames until the request's END_STREAM
                    byte[] header = new byte[9];
                    in.readFully(header);
                    byte[] payload = new byte[(header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | header[2] & 0xff];
                    in.readFully(payload);
                    got.writeBytes(header);
                    got.writeBytes(payload);
                    if (header[3] == H2.HEADERS && (header[4] & H2.END_STREAM) != 0) {
                        break;
                    }
                }
                s.getOutputStream().write(H2.concat(H2.frame(H2.HEADERS, H2.END_HEADERS, 1, responseBlock),
                        H2.frame(H2.DATA, H2.END_STREAM, 1, "hello".getBytes())));
                s.shutdownOutput();
                in.readAllBytes();
                return got.toByteArray();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        BlockingQueue<Exchange> exchanges = new LinkedBlockingQueue<>();
        start(exchanges);
        byte[] request = H2.concat(H2.PREFACE, SETTINGS, H2.frame(H2.HEADERS, H2.END_HEADERS | H2.END_STREAM, 1,
                H2.encode(H2.encoder(), H2.request("GET", "svc:8080", "/x", HttpFields.build().add("accept", "*/*")))));
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(),
                ((InetSocketAddress) listener.localAddress()).getPort())) {
            client.setSoTimeout(10_000);
            assertTrue(serverSpoke.await(10, TimeUnit.SECONDS));
            client.getOutputStream().write(request);
            InputStream in = client.getInputStream();
            assertArrayEquals(response, in.readNBytes(response.length), "the response's frames as the server sent them");
            client.shutdownOutput();
            assertEquals(-1, in.read());
        }
        byte[] got = received.get(10, TimeUnit.SECONDS);
        assertArrayEquals(java.util.Arrays.copyOf(request, 24 + SETTINGS.length), java.util.Arrays.copyOf(got, 24 + SETTINGS.length));
        HpackDecoder decoder = new HpackDecoder(1 << 16, System::nanoTime);
        ByteBuffer block = ByteBuffer.wrap(got, 24 + SETTINGS.length + 9, got.length - 24 - SETTINGS.length - 9);
        MetaData.Request r = (MetaData.Request) decoder.decode(block);
        assertEquals("/x", r.getHttpURI().getPathQuery());
        assertEquals("*/*", r.getHttpFields().get("accept"));
        assertEquals(36, r.getHttpFields().get("x-request-id").length(), "netra's request id, appended");
        Exchange e = exchanges.poll(10, TimeUnit.SECONDS); // reported as the stream ended
        assertEquals(null, exchanges.poll(), "one exchange");
        assertEquals("2", e.version());
        assertEquals(200, e.status());
        assertEquals(5, e.responseBodyBytes());
        assertEquals(Exchange.End.COMPLETE, e.end());
    }

    private void start(BlockingQueue<Exchange> exchanges) throws IOException {
        SidecarConfig config = SidecarConfig.from(Map.of(), List.of("--service-name", "test"));
        ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry());
        InetSocketAddress target = (InetSocketAddress) upstream.getLocalSocketAddress();
        listener = new Listener(config, metrics, ch -> Optional.of(target), Main.httpSettings(config, metrics,
                new RequestIdEdits("X-Request-Id", "X-Source", "netra"), List.of(exchanges::offer)), null);
        listener.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }
}
