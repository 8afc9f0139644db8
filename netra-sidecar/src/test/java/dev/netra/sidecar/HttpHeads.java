package dev.netra.sidecar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Tests' peers read an HTTP/1 head byte by byte: what they get is exactly what was sent. */
public final class HttpHeads {
    private HttpHeads() {
    }

    /** The next head, its closing blank line included, or null when the stream ended first. */
    public static String read(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            if (b.size() >= 4 && b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }
}
