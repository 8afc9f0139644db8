package dev.netra.sidecar.trace;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import java.security.Provider;
import java.security.SecureRandom;

/**
 * The process's default TLS context when the only TLS user, the OTLP exporter, has a plain http://
 * endpoint: a context that cannot speak TLS at all, so nothing loads the JDK's TLS implementation.
 *
 * <p>The JDK HTTP client behind the exporter asks for {@code SSLContext.getDefault()} and its
 * default parameters even if it never speaks TLS, and OpenTelemetry (1.68) hands it no context of
 * its own for an http:// endpoint. The JDK's default parses every certificate in cacerts (~200 ms
 * of CPU next to the first proxied requests at start-up, heap kept for the sidecar's lifetime) and
 * initialises the TLS provider: cipher suites, named groups, the EC curves behind them, ~400
 * classes that the AOT cache then carries into every sidecar's memory. Any attempt to open a TLS
 * connection with this one fails.
 */
final class PlainHttpTls {
    private static final String NO_TLS = "netra: the OTLP endpoint is plain http, TLS is not expected";

    private PlainHttpTls() {
    }

    /** Makes the no-TLS context the process's default; call before the exporter is built. */
    static void installAsDefault() {
        SSLContext.setDefault(context());
    }

    static SSLContext context() {
        return new NoTlsContext();
    }

    /** An SSLContext whose engine refuses every TLS use. */
    private static final class NoTlsContext extends SSLContext {
        NoTlsContext() {
            super(new NoTls(), new Provider("netra-no-tls", "1", "plain-http OTLP endpoint: no TLS") {
            }, "none");
        }
    }

    /** Default parameters are empty; sockets, engines and sessions are refused. */
    private static final class NoTls extends SSLContextSpi {
        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return new SSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return new SSLParameters();
        }
    }
}
