package dev.netra.sidecar.trace;

import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PlainHttpTlsTest {
    @Test
    void theContextForPlainHttpCannotOpenTls() {
        SSLContext tls = PlainHttpTls.context();
        assertNull(tls.getDefaultSSLParameters().getCipherSuites(),
                "no cipher suite: no TLS provider was asked for one");
        assertThrows(UnsupportedOperationException.class, tls::createSSLEngine);
        assertThrows(UnsupportedOperationException.class, () -> tls.createSSLEngine("10.0.0.1", 443));
        assertThrows(UnsupportedOperationException.class, tls::getSocketFactory);
        assertThrows(UnsupportedOperationException.class, tls::getClientSessionContext);
    }
}
