package dev.netra.it;

import java.io.IOException;
import java.io.InputStream;

/** What the scenarios that speak HTTP on a raw socket share. */
final class Http {
    private Http() {
    }

    /** A response head, up to and with its empty line. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                return head.toString();
            }
        }
        throw new IOException("connection closed in a response head: " + head);
    }

    /**
     * A connection from the test host to a pod. With SO_REUSEADDR: its TIME_WAIT after close then
     * does not keep Docker from publishing a later container's port on the same number (Docker
     * picks host ports from the same ephemeral range; a scenario that opens thousands of
     * connections made a later container's start fail with "address already in use").
     */
    static java.net.Socket connect(String ip, int port, int timeoutMillis) throws IOException {
        java.net.Socket s = new java.net.Socket();
        try {
            s.setReuseAddress(true);
            s.connect(new java.net.InetSocketAddress(ip, port), timeoutMillis);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** The Content-Length of a head. */
    static int contentLength(String head) {
        return Integer.parseInt(head.replaceAll("(?is).*content-length: *([0-9]+).*", "$1"));
    }
}
