package dev.netra.sidecar.http;

/** Names and tokens the engine compares against, as lower-case (or method) bytes. */
final class Http {
    static final byte[] HEAD = "HEAD".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final byte[] CONNECT = "CONNECT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Http() {
    }
}
