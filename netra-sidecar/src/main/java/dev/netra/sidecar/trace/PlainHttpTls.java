package dev.netra.sidecar.trace;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * A TLS context for an exporter whose endpoint is plain http://, so that nothing loads the JDK's
 * CA certificates.
 *
 * <p>The JDK HTTP client asks for {@code SSLContext.getDefault()} when it is given no context,
 * even if it never speaks TLS; that parses every certificate in cacerts: measured ~200 ms of CPU
 * next to the first proxied requests at start-up, and heap kept for the sidecar's lifetime. The
 * context given instead trusts nothing, so it could never accept a server if it were used.
 */
final class PlainHttpTls {
    private PlainHttpTls() {
    }

    static void applyTo(OtlpHttpSpanExporterBuilder b) {
        X509TrustManager none = trustNothing();
        try {
            b.setSslContext(context(none), none);
        } catch (GeneralSecurityException e) {
            // the exporter keeps the default context: slower start, same behaviour
        }
    }

    static SSLContext context(X509TrustManager trust) throws GeneralSecurityException {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[]{trust}, null);
        return tls;
    }

    static X509TrustManager trustNothing() {
        return new TrustNothing();
    }

    /** Rejects every certificate. */
    private static final class TrustNothing implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("netra: the OTLP endpoint is plain http, TLS is not expected");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("netra: the OTLP endpoint is plain http, TLS is not expected");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
