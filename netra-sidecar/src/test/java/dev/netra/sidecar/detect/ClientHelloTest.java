package dev.netra.sidecar.detect;

import org.junit.jupiter.api.Test;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** ClientHellos as the JDK's TLS client writes them (TLS 1.3 and 1.2), whole, cut short and mangled. */
class ClientHelloTest {

    private static ByteBuffer hello(String sni, String[] alpn, String protocol) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine(sni == null ? null : sni, 443);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        if (sni != null) {
            p.setServerNames(List.of(new SNIHostName(sni)));
        }
        if (alpn != null) {
            p.setApplicationProtocols(alpn);
        }
        p.setProtocols(new String[] {protocol});
        engine.setSSLParameters(p);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return out.flip();
    }

    @Test
    void theNameAndProtocolsOfARealClientHello() throws Exception {
        for (String version : new String[] {"TLSv1.3", "TLSv1.2"}) {
            ByteBuffer b = hello("payments.internal.example", new String[] {"h2", "http/1.1"}, version);
            int position = b.position();
            ClientHello h = ClientHello.of(b);
            assertEquals(new ClientHello("payments.internal.example", List.of("h2", "http/1.1")), h, version);
            assertEquals(position, b.position(), "the bytes are only read");
        }
        assertEquals(new ClientHello("db", List.of()), ClientHello.of(hello("db", null, "TLSv1.3")));
        assertEquals(new ClientHello(null, List.of("grpc-exp", "h2")), ClientHello.of(hello(null, new String[] {"grpc-exp", "h2"}, "TLSv1.3")));
    }

    @Test
    void aHelloCutShortGivesWhatCameBeforeTheCut() throws Exception {
        ByteBuffer whole = hello("svc.example", new String[] {"h2"}, "TLSv1.3");
        for (int n = 0; n < whole.remaining(); n++) {
            ByteBuffer part = whole.duplicate().limit(n);
            ClientHello h = ClientHello.of(part); // never throws, whatever the cut
            assertNotNull(h);
            if (h.serverName() != null) {
                assertEquals("svc.example", h.serverName());
            }
        }
    }

    @Test
    void anythingElseIsNone() throws Exception {
        assertEquals(ClientHello.NONE, ClientHello.of(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes())));
        ByteBuffer real = hello("svc.example", new String[] {"h2"}, "TLSv1.3");
        Random random = new Random(7);
        for (int round = 0; round < 20_000; round++) {
            ByteBuffer b = ByteBuffer.allocate(real.remaining()).put(real.duplicate()).flip();
            for (int k = 0; k < 1 + random.nextInt(8); k++) {
                b.put(random.nextInt(b.limit()), (byte) random.nextInt(256));
            }
            ClientHello h = ClientHello.of(b); // mangled lengths never throw nor read past the limit
            assertNotNull(h);
            if (h.serverName() != null) {
                assertEquals(true, h.serverName().chars().allMatch(c -> c > 0x20 && c < 0x7F), h.serverName());
            }
        }
    }
}
