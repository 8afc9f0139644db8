package dev.netra.inject;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The serving certificate and key from PEM files (a mounted Secret's {@code tls.crt} and
 * {@code tls.key}), read again when either file changes: a rotated certificate is served from the
 * next handshake on, without a restart. The key is PKCS#8 ({@code BEGIN PRIVATE KEY}: RSA or EC).
 */
final class TlsFiles extends X509ExtendedKeyManager {
    private static final Pattern PEM_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final char[] NO_PASSWORD = new char[0];

    private final Path cert;
    private final Path key;
    private volatile Loaded loaded;

    private record Loaded(X509ExtendedKeyManager manager, FileTime certTime, FileTime keyTime) {
    }

    /** @throws IOException naming the file that is missing or not PEM */
    TlsFiles(Path cert, Path key) throws IOException {
        this.cert = cert;
        this.key = key;
        this.loaded = load();
    }

    /** An SSL context serving whatever the files hold at each handshake. */
    SSLContext context() throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[] {this}, null, null);
        return ctx;
    }

    private Loaded load() throws IOException {
        FileTime certTime = Files.getLastModifiedTime(cert);
        FileTime keyTime = Files.getLastModifiedTime(key);
        try {
            Collection<? extends Certificate> chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(cert)));
            if (chain.isEmpty()) {
                throw new IOException(cert + ": no PEM certificate in it");
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("serving", privateKey(key), NO_PASSWORD, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, NO_PASSWORD);
            return new Loaded((X509ExtendedKeyManager) kmf.getKeyManagers()[0], certTime, keyTime);
        } catch (GeneralSecurityException e) {
            throw new IOException(cert + " / " + key + ": not a certificate and key pair in PEM: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        Matcher m = PEM_KEY.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        if (!m.find()) {
            throw new IOException(file + ": no PKCS#8 private key (-----BEGIN PRIVATE KEY-----) in it");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    /** The current key manager, read anew when a file changed; the old one stays if the new files are bad. */
    private X509ExtendedKeyManager current() {
        Loaded l = loaded;
        try {
            if (!Files.getLastModifiedTime(cert).equals(l.certTime()) || !Files.getLastModifiedTime(key).equals(l.keyTime())) {
                synchronized (this) {
                    l = loaded = load();
                }
            }
        } catch (IOException e) {
            // half-written during a rotation, or gone: serve the last good pair, try again next handshake
        }
        return l.manager();
    }

    /** The certificate served now (for /ready and tests). */
    X509Certificate certificate() {
        X509Certificate[] chain = current().getCertificateChain("serving");
        return chain == null ? null : chain[0];
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current().chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return current().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return current().getPrivateKey(alias);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return current().getServerAliases(keyType, issuers);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null; // a server only
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
