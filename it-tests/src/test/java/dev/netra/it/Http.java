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

    /** The Content-Length of a head. */
    static int contentLength(String head) {
        return Integer.parseInt(head.replaceAll("(?is).*content-length: *([0-9]+).*", "$1"));
    }
}
