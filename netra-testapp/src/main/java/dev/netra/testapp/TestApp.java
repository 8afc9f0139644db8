package dev.netra.testapp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Stand-ins for users' apps, for the demo and the it-tests: servers that echo, hash or reset,
 * and clients that check every byte they get back. Plain blocking sockets, nothing of netra's.
 */
public final class TestApp {
    private static final String USAGE = """
            usage: testapp COMMAND ARGS
              serve SERVER...                     run servers, each one of:
                  echo:PORT                       echo every byte; half-close when the client does
                  hash:PORT:REPLY_BYTES           read to EOF, answer "<sha256> <count>\\n" + REPLY_BYTES bytes
                  reset:PORT                      read once, then reset the connection
                  http:PORT[:NAME]                keep-alive HTTP/1.1: /status/NNN answers NNN, /sleep/MS waits;
                                                  with NAME, bodies say "NAME PATH" and requests are logged
                  relay:PORT:HOST:PORT            calls the next hop per request, passing on trace headers by mode
                  sink:PORT                       accepts and never answers
                  count:PORT                      reads to EOF, answers the byte count
                  collector:OTLP_PORT:UDP_PORT    decodes OTLP/HTTP and Jaeger UDP spans; lists them at /spans
              echo-client HOST PORT BYTES [CONNS] send BYTES per connection while reading the echo; verify it
              hash-client HOST PORT BYTES REPLY   send, half-close, verify the hash and the REPLY bytes after it
              corpus-server PORT_BASE             for each corpus case i on PORT_BASE+i: read to EOF, log it, answer
              corpus-client HOST PORT_BASE        play every corpus case; print what came back (base64)
              http-load HOST PORT PATH N [HDRS]   N keep-alive GETs; HDRS "Name: v\\n..." added to each
              http-pipeline HOST PORT HDRS...     one request per HDRS argument, all in one write; prints the bodies
              golden HOST PORT                    the golden signals per direction from a sidecar's /metrics
              trace-tree HOST PORT [REQUEST_ID]   the collector's traces as trees (service, kind, name, duration)
              probe HOST PORT                     connect and report: DATA, EOF, RESET or REFUSED, with ms
              http-get HOST PORT PATH             print the body of a plain HTTP/1.0 GET
            """;

    private TestApp() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.print(USAGE);
            System.exit(2);
        }
        switch (args[0]) {
            case "serve" -> {
                for (int i = 1; i < args.length; i++) {
                    String[] spec = args[i].split(":");
                    int port = Integer.parseInt(spec[1]);
                    switch (spec[0]) {
                        case "echo" -> serve(port, TestApp::echo);
                        case "hash" -> {
                            long reply = Long.parseLong(spec[2]);
                            serve(port, s -> hashAndReply(s, reply));
                        }
                        case "reset" -> serve(port, TestApp::readThenReset);
                        case "http" -> {
                            String name = spec.length > 2 ? spec[2] : "";
                            serve(port, s -> HttpApps.serve(s, name));
                        }
                        case "relay" -> {
                            String nextHost = spec[2];
                            int nextPort = Integer.parseInt(spec[3]);
                            serve(port, s -> HttpApps.relay(s, nextHost, nextPort));
                        }
                        case "sink" -> serve(port, HttpApps::sink);
                        case "hang" -> serve(port, TestApp::hang);
                        case "count" -> serve(port, TestApp::count);
                        case "collector" -> Collector.run(port, Integer.parseInt(spec[2]));
                        default -> throw new IllegalArgumentException("unknown server " + args[i]);
                    }
                }
                System.out.println("serving");
                Thread.currentThread().join();
            }
            case "echo-client" -> exit(echoClient(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3]),
                    args.length > 4 ? Integer.parseInt(args[4]) : 1));
            case "hash-client" -> exit(hashClient(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3]),
                    Long.parseLong(args[4])));
            case "probe" -> probe(args[1], Integer.parseInt(args[2]));
            case "corpus-server" -> {
                List<Corpus> cases = Corpus.cases();
                int base = Integer.parseInt(args[1]);
                for (int i = 0; i < cases.size(); i++) {
                    Corpus c = cases.get(i);
                    serve(base + i, s -> corpusServe(s, c));
                }
                System.out.println("serving");
                Thread.currentThread().join();
            }
            case "corpus-client" -> corpusClient(args[1], Integer.parseInt(args[2]));
            case "http-load" -> exit(HttpApps.load(args[1], Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]),
                    args.length > 5 ? args[5].replace("\\n", "\r\n") : ""));
            case "http-pipeline" -> exit(HttpApps.pipeline(args[1], Integer.parseInt(args[2]),
                    java.util.Arrays.asList(args).subList(3, args.length)));
            case "golden" -> Golden.print(args[1], Integer.parseInt(args[2]));
            case "trace-tree" -> TraceTree.print(args[1], Integer.parseInt(args[2]), args.length > 3 ? args[3] : null);
            case "http-get" -> httpGet(args[1], Integer.parseInt(args[2]), args[3]);
            default -> {
                System.err.print(USAGE);
                System.exit(2);
            }
        }
    }

    interface Handler {
        void handle(Socket s) throws IOException;
    }

    private static void serve(int port, Handler handler) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(port), 512);
        System.out.println("listening on " + port);
        Thread.ofPlatform().daemon(false).start(() -> {
            while (true) {
                try {
                    Socket s = server.accept();
                    System.out.println("accepted " + port + " from " + s.getRemoteSocketAddress());
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            handler.handle(s);
                        } catch (IOException e) {
                            System.out.println("connection from " + s.getRemoteSocketAddress() + " ended: " + e);
                        }
                    });
                } catch (IOException e) {
                    System.out.println("accept failed: " + e);
                    return;
                }
            }
        });
    }

    /**
     * A hung dependency: accepts, never answers and never closes, even when the peer has closed
     * (for an hour at most, the longest a test pod lives).
     */
    private static void hang(Socket s) {
        try {
            Thread.sleep(java.time.Duration.ofHours(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void echo(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[32 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
        }
        s.shutdownOutput();
    }

    private static void hashAndReply(Socket s, long replyBytes) throws IOException {
        MessageDigest sha = sha256();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[32 * 1024];
        long count = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            sha.update(buf, 0, n);
            count += n;
        }
        OutputStream out = s.getOutputStream();
        out.write((HexFormat.of().formatHex(sha.digest()) + " " + count + "\n").getBytes(StandardCharsets.US_ASCII));
        writeRandom(out, replyBytes, 7);
        out.flush();
    }

    private static void corpusServe(Socket s, Corpus c) throws IOException {
        byte[] got = s.getInputStream().readAllBytes();
        System.out.println("RECEIVED " + c.name() + " " + java.util.Base64.getEncoder().encodeToString(got));
        s.getOutputStream().write(c.server());
        s.shutdownOutput();
    }

    /** Sends each case's client bytes, half-closes, and prints everything the server sent back. */
    private static void corpusClient(String host, int base) throws IOException {
        List<Corpus> cases = Corpus.cases();
        for (int i = 0; i < cases.size(); i++) {
            Corpus c = cases.get(i);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, base + i), 10_000);
                s.setSoTimeout(20_000);
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        s.getOutputStream().write(c.client());
                        s.shutdownOutput();
                    } catch (IOException e) {
                        System.out.println("write failed " + c.name() + ": " + e);
                    }
                });
                byte[] got = s.getInputStream().readAllBytes();
                writer.join();
                System.out.println("GOT " + c.name() + " " + java.util.Base64.getEncoder().encodeToString(got));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Reads to EOF, answers how many bytes it got: a bulk-transfer sink that acknowledges. */
    private static void count(Socket s) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long n = 0;
        int r;
        while ((r = s.getInputStream().read(buf)) >= 0) {
            n += r;
        }
        s.getOutputStream().write((n + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void readThenReset(Socket s) throws IOException {
        s.getInputStream().read(new byte[1024]);
        s.setSoLinger(true, 0);
    }

    private static boolean echoClient(String host, int port, long bytes, int conns) throws Exception {
        long started = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < conns; i++) {
                int seed = i;
                results.add(pool.submit(() -> echoOnce(host, port, bytes, seed)));
            }
            int failed = 0;
            for (Future<String> f : results) {
                String r = f.get();
                if (r != null) {
                    failed++;
                    System.out.println("FAIL " + r);
                }
            }
            System.out.printf("%s echo conns=%d bytes=%d failed=%d ms=%d%n", failed == 0 ? "OK" : "FAIL",
                    conns, bytes, failed, (System.nanoTime() - started) / 1_000_000);
            return failed == 0;
        }
    }

    /** Null when every byte came back in order; else what went wrong. */
    private static String echoOnce(String host, int port, long bytes, int seed) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            MessageDigest sent = sha256();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    writeRandom(new DigestOut(out, sent), bytes, seed);
                    s.shutdownOutput();
                } catch (IOException e) {
                    System.out.println("write failed: " + e);
                }
            });
            MessageDigest got = sha256();
            long received = 0;
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                got.update(buf, 0, n);
                received += n;
            }
            writer.join();
            if (received != bytes) {
                return "received " + received + " of " + bytes + " bytes";
            }
            return MessageDigest.isEqual(sent.digest(), got.digest()) ? null : "bytes differ";
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static boolean hashClient(String host, int port, long bytes, long replyBytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            MessageDigest sent = sha256();
            writeRandom(new DigestOut(s.getOutputStream(), sent), bytes, 3);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                line.write(c);
            }
            String expected = HexFormat.of().formatHex(sent.digest()) + " " + bytes;
            MessageDigest replyGot = sha256();
            MessageDigest replyWant = sha256();
            writeRandom(new DigestOut(OutputStream.nullOutputStream(), replyWant), replyBytes, 7);
            long received = 0;
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                replyGot.update(buf, 0, n);
                received += n;
            }
            boolean ok = line.toString(StandardCharsets.US_ASCII).equals(expected) && received == replyBytes
                    && MessageDigest.isEqual(replyGot.digest(), replyWant.digest());
            System.out.printf("%s hash sent=%d server-saw='%s' reply=%d/%d%n", ok ? "OK" : "FAIL", bytes,
                    line.toString(StandardCharsets.US_ASCII), received, replyBytes);
            return ok;
        }
    }

    private static void probe(String host, int port) {
        long started = System.nanoTime();
        String outcome;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(15_000);
            s.getOutputStream().write("probe\n".getBytes(StandardCharsets.US_ASCII));
            int n = s.getInputStream().read(new byte[1024]);
            if (n < 0) {
                outcome = "EOF";
            } else {
                // the peer answered; wait for what it does next
                n = s.getInputStream().read(new byte[1024]);
                outcome = "DATA";
            }
        } catch (ConnectException e) {
            outcome = "REFUSED";
        } catch (SocketException e) {
            outcome = e.getMessage() != null && (e.getMessage().contains("reset") || e.getMessage().contains("Broken pipe")) ? "RESET" : "ERROR " + e.getMessage();
        } catch (IOException e) {
            outcome = "ERROR " + e;
        }
        System.out.printf("%s ms=%d%n", outcome, (System.nanoTime() - started) / 1_000_000);
    }

    private static void httpGet(String host, int port, String path) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int body = response.indexOf("\r\n\r\n");
            System.out.print(body < 0 ? response : response.substring(body + 4));
        }
    }

    private static void writeRandom(OutputStream out, long bytes, int seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[16 * 1024];
        for (long left = bytes; left > 0; ) {
            int n = (int) Math.min(chunk.length, left);
            for (int i = 0; i < n; i += 8) {
                long r = random.nextLong();
                for (int j = 0; j < 8 && i + j < n; j++) {
                    chunk[i + j] = (byte) (r >>> (8 * j));
                }
            }
            out.write(chunk, 0, n);
            left -= n;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void exit(boolean ok) {
        System.exit(ok ? 0 : 1);
    }

    /** Hashes what passes through. */
    private static final class DigestOut extends OutputStream {
        private final OutputStream out;
        private final MessageDigest digest;

        DigestOut(OutputStream out, MessageDigest digest) {
            this.out = out;
            this.digest = digest;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            digest.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            digest.update(b, off, len);
        }
    }
}
