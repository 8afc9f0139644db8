package dev.netra.sidecar.trace;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * OTLP/HTTP's POST of one encoded batch, blocking, on the thread that calls it (the export
 * thread): one kept-alive connection to the collector, opened again when it was closed. No
 * client library, selector or executor threads. Every read and the connect have the OTLP
 * timeout; a response body is read and dropped (at most {@value #MAX_BODY} bytes, else the
 * connection is closed instead). https uses the JDK's default TLS context with host-name
 * verification; http never loads TLS.
 */
final class OtlpHttpSender implements AutoCloseable {
    static final int MAX_BODY = 64 * 1024;
    private static final int MAX_HEAD = 16 * 1024;

    private final String host;
    private final int port;
    private final boolean tls;
    private final byte[] requestHead;
    private final int timeoutMillis;
    /** Volatile: {@link #close} may come from another thread, to end a post that waits. */
    private volatile Socket socket;
    private volatile boolean closed;
    private InputStream in;
    private OutputStream out;

    OtlpHttpSender(URI endpoint, Map<String, String> headers, Duration timeout) {
        this.tls = "https".equalsIgnoreCase(endpoint.getScheme());
        this.host = endpoint.getHost();
        this.port = endpoint.getPort() > 0 ? endpoint.getPort() : tls ? 443 : 80;
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        String path = (endpoint.getRawPath() == null || endpoint.getRawPath().isEmpty() ? "/" : endpoint.getRawPath())
                + (endpoint.getRawQuery() == null ? "" : "?" + endpoint.getRawQuery());
        StringBuilder head = new StringBuilder("POST ").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                .append(endpoint.getPort() > 0 ? ":" + port : "").append("\r\n")
                .append("User-Agent: netra\r\nContent-Type: application/x-protobuf\r\n");
        headers.forEach((k, v) -> {
            if ((k + v).chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                throw new IllegalArgumentException("the OTLP header " + k + " has a control character: not sent");
            }
            head.append(k).append(": ").append(v).append("\r\n");
        });
        head.append("Content-Length: ");
        this.requestHead = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Posts {@code body[0, length)} and returns the response status. A kept-alive connection the
     * collector closed meanwhile is opened again and the batch sent once more.
     */
    int post(byte[] body, int length) throws IOException {
        boolean reused = socket != null;
        try {
            return exchange(body, length);
        } catch (IOException e) {
            drop();
            if (!reused || closed) {
                throw e;
            }
            return exchange(body, length);
        }
    }

    private int exchange(byte[] body, int length) throws IOException {
        if (closed) {
            throw new IOException("the exporter is shut down");
        }
        if (socket == null) {
            open();
        }
        out.write(requestHead);
        out.write((length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body, 0, length);
        out.flush();
        return readResponse();
    }

    private void open() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.setTcpNoDelay(true);
            if (tls) {
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(s, host, port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            }
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 8192);
        out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
    }

    /** Reads one response: its status, and its body to the end (dropped); closes when it must. */
    private int readResponse() throws IOException {
        String status = line();
        if (!status.startsWith("HTTP/1.") || status.length() < 12) {
            throw new IOException("the collector answered something else than HTTP/1.x: " + printable(status));
        }
        int code;
        try {
            code = Integer.parseInt(status.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("the collector's status line has no code: " + printable(status));
        }
        long contentLength = -1;
        boolean chunked = false;
        boolean close = status.startsWith("HTTP/1.0");
        int headBytes = status.length();
        for (String h = line(); !h.isEmpty(); h = line()) {
            headBytes += h.length();
            if (headBytes > MAX_HEAD) {
                throw new IOException("the collector's response head is over " + MAX_HEAD + " bytes");
            }
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case "content-length" -> contentLength = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.contains("chunked");
                case "connection" -> close |= value.contains("close");
                default -> { }
            }
        }
        if (chunked) {
            long total = 0;
            for (long size = chunkSize(); size > 0; size = chunkSize()) {
                total += size;
                if (total > MAX_BODY) {
                    drop();
                    return code;
                }
                skip(size);
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
        } else if (contentLength >= 0) {
            if (contentLength > MAX_BODY) {
                drop();
                return code;
            }
            skip(contentLength);
        } else {
            close = true; // a body that ends with the connection
        }
        if (close) {
            drop();
        }
        return code;
    }

    private long chunkSize() throws IOException {
        String l = line();
        int semi = l.indexOf(';');
        try {
            return Long.parseLong((semi >= 0 ? l.substring(0, semi) : l).trim(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("the collector's chunk size is not hex: " + printable(l));
        }
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            long skipped = in.skip(n);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new IOException("the collector closed the connection in the middle of a response");
                }
                skipped = 1;
            }
            n -= skipped;
        }
    }

    /** One line without its CRLF, at most {@value #MAX_HEAD} bytes. */
    private String line() throws IOException {
        StringBuilder b = new StringBuilder(64);
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the collector closed the connection");
            }
            if (b.length() >= MAX_HEAD) {
                throw new IOException("a line of the collector's response is over " + MAX_HEAD + " bytes");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) : s;
        return "'" + cut.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }

    /** For good: a post in flight fails at once, and later ones too. */
    @Override
    public void close() {
        closed = true;
        drop();
    }

    /** Lets the connection go; the next post opens another. */
    private void drop() {
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }
    }
}
