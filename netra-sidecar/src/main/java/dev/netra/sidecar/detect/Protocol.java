package dev.netra.sidecar.detect;

/**
 * What a connection speaks, as the detect stage tells it from the client's first bytes. HTTP/1
 * and HTTP/2 are parsed; the others are opaque to netra (their bytes pass as they come).
 */
public enum Protocol {
    /** A request line: a method token and a space. */
    HTTP1,
    /** The HTTP/2 connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", prior knowledge). */
    HTTP2,
    /** A TLS record header: handshake (0x16), version 3.x. */
    TLS,
    /** Anything else, too little before the deadline, or a server that spoke first. */
    OPAQUE;

    /** The label of {@code netra_tcp_protocols_detected_total}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
