package dev.netra.sidecar.trace;

import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PlainHttpTlsTest {
    @Test
    void theContextForPlainHttpTrustsNoServer() throws Exception {
        X509TrustManager none = PlainHttpTls.trustNothing();
        assertThrows(CertificateException.class, () -> none.checkServerTrusted(new X509Certificate[0], "RSA"));
        assertThrows(CertificateException.class, () -> none.checkClientTrusted(new X509Certificate[0], "RSA"));
        assertEquals(0, none.getAcceptedIssuers().length);
        SSLContext tls = PlainHttpTls.context(none);
        assertNotNull(tls.getSocketFactory());
    }
}
