package dev.netra.testapp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.List;
import java.util.TreeMap;

/** A tiny keep-alive HTTP/1.1 server and client, for metrics scenarios and the demo. */
final class HttpApps {
    private HttpApps() {
    }

    /**
     * Serves one connection: {@code GET /status/NNN} answers NNN with a short body,
     * {@code /sleep/MS} answers 200 after MS milliseconds, anything else 200.
     */
    static void serve(Socket s) throws IOException {
        serve(s, "");
    }

    /** As {@link #serve(Socket)}, naming itself in each body and logging each request line. */
    static void serve(Socket s, String name) throws IOException {
        s.setTcpNoDelay(true);
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        while (true) {
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] requestLine = head.substring(0, head.indexOf('\r')).split(" ");
            if (!name.isEmpty()) {
                System.out.println("request " + name + " " + requestLine[0] + " " + requestLine[1]);
            }
            String path = requestLine.length > 1 ? requestLine[1] : "/";
            in.skipNBytes(contentLength(head));
            int status = 200;
            if (path.startsWith("/status/")) {
                status = Integer.parseInt(path.substring(8, 11));
            } else if (path.startsWith("/sleep/")) {
                try {
                    Thread.sleep(Long.parseLong(path.substring(7)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            byte[] body = (name.isEmpty() ? "status " + status + "\n" : name + " " + path).getBytes(StandardCharsets.US_ASCII);
            // one write per response, as real servers do: no Nagle/delayed-ACK stalls between head and body
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            response.writeBytes(("HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length
                    + "\r\nContent-Type: text/plain\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            response.writeBytes(body);
            out.write(response.toByteArray());
            out.flush();
        }
    }

    /**
     * An app in the middle of a call chain: for {@code GET /chain/MODE/...} it calls the next hop
     * with the same path, passing on only what MODE says (rid: X-Request-Id; traceparent;
     * uber: uber-trace-id; b3: the B3 headers), then answers with the next hop's status.
     */
    static void relay(Socket s, String nextHost, int nextPort) throws IOException {
        s.setTcpNoDelay(true);
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        while (true) {
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String path = head.substring(0, head.indexOf('\r')).split(" ")[1];
            String mode = path.startsWith("/chain/") ? path.split("/")[2] : "rid";
            StringBuilder pass = new StringBuilder();
            for (String line : head.split("\r\n")) {
                String name = line.contains(":") ? line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT) : "";
                boolean keep = switch (mode) {
                    case "traceparent" -> name.equals("traceparent") || name.equals("tracestate");
                    case "uber" -> name.equals("uber-trace-id");
                    case "b3" -> name.equals("b3") || name.startsWith("x-b3-");
                    default -> name.equals("x-request-id");
                };
                if (keep) {
                    pass.append(line).append("\r\n");
                }
            }
            int status;
            try (Socket next = new Socket(nextHost, nextPort)) {
                next.setTcpNoDelay(true);
                next.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + nextHost + ":" + nextPort + "\r\n"
                        + pass + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                InputStream nin = new BufferedInputStream(next.getInputStream());
                String nextHead = readHead(nin);
                status = nextHead == null ? 502 : Integer.parseInt(nextHead.substring(9, 12));
            }
            byte[] body = ("relayed " + status + "\n").getBytes(StandardCharsets.US_ASCII);
            out.write(("HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length + "\r\n\r\n"
                    + new String(body, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    /** Accepts and reads forever without answering: a collector that hangs. */
    static void sink(Socket s) throws IOException {
        s.getInputStream().transferTo(OutputStream.nullOutputStream());
    }

    /** N sequential requests for PATH on one keep-alive connection; prints the statuses seen. */
    static boolean load(String host, int port, String path, int n, String extraHeaders) throws IOException {
        TreeMap<Integer, Integer> statuses = new TreeMap<>();
        String lastBody = "";
        long started = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(20_000);
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String extra = extraHeaders.isEmpty() || extraHeaders.endsWith("\r\n") ? extraHeaders : extraHeaders + "\r\n";
            byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUser-Agent: netra-testapp\r\n"
                    + extra + "\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < n; i++) {
                out.write(request);
                out.flush();
                String head = readHead(in);
                if (head == null) {
                    System.out.println("FAIL connection closed after " + i + " responses");
                    return false;
                }
                int status = Integer.parseInt(head.substring(9, 12));
                statuses.merge(status, 1, Integer::sum);
                long length = contentLength(head);
                lastBody = new String(in.readNBytes((int) length), StandardCharsets.ISO_8859_1).trim();
            }
        }
        System.out.printf("OK http n=%d statuses=%s body=[%s] ms=%d%n", n, statuses, lastBody,
                (System.nanoTime() - started) / 1_000_000);
        return true;
    }

    /** Requests with the given extra headers each, sent in one write (pipelined); prints the bodies in order. */
    static boolean pipeline(String host, int port, List<String> extraHeaders) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(20_000);
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < extraHeaders.size(); i++) {
                String extra = extraHeaders.get(i).replace("\\n", "\r\n");
                all.append("GET /pipelined/").append(i).append(" HTTP/1.1\r\nHost: ").append(host).append(':').append(port)
                        .append("\r\n").append(extra.isEmpty() || extra.endsWith("\r\n") ? extra : extra + "\r\n").append("\r\n");
            }
            s.getOutputStream().write(all.toString().getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            List<String> bodies = new java.util.ArrayList<>();
            for (int i = 0; i < extraHeaders.size(); i++) {
                String head = readHead(in);
                long length = contentLength(head);
                bodies.add(head.substring(9, 12) + " " + new String(in.readNBytes((int) length), StandardCharsets.ISO_8859_1).trim());
            }
            System.out.println("OK pipeline " + bodies);
            return true;
        }
    }

    /** The Content-Length of a head, 0 when it has none. */
    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(line.substring(15).trim());
            }
        }
        return 0;
    }

    /** The head up to and including the empty line, or null at end of stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            state = switch (state) {
                case 0 -> b == '\r' ? 1 : 0;
                case 1 -> b == '\n' ? 2 : 0;
                case 2 -> b == '\r' ? 3 : 0;
                case 3 -> b == '\n' ? 4 : 0;
                default -> 0;
            };
            if (state == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }
}
