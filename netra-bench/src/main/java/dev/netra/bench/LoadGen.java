package dev.netra.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generator: HTTP/1.1 requests over plain sockets, keep-alive or a new connection per
 * request (churn), GETs or POSTs with a body of a chosen size, closed loop (as fast as
 * answers come) or open loop at a fixed rate with coordinated-omission correction (latency is
 * measured from when a request was due, as wrk2 does), recorded in HdrHistogram; and raw TCP
 * bulk transfer.
 */
final class LoadGen {
    /** What one run measured. */
    record Result(long requests, long errors, double seconds, Histogram latency) {
        double rps() {
            return requests / seconds;
        }

        double micros(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    private final InetSocketAddress target;
    private final byte[] request;
    private final boolean churn;

    LoadGen(InetSocketAddress target, String host) {
        this(target, host, "/", 0, false);
    }

    /**
     * @param path      the request target (the bench's server answers {@code /} with 22 bytes)
     * @param bodyBytes a POST with a body of this many bytes when positive, else a GET
     * @param churn     a new connection per request ({@code Connection: close}: the server closes
     *                  first, so the client's ports do not pile up in TIME_WAIT)
     */
    LoadGen(InetSocketAddress target, String host, String path, int bodyBytes, boolean churn) {
        this.target = target;
        this.churn = churn;
        String head = (bodyBytes > 0 ? "POST " : "GET ") + path + " HTTP/1.1\r\nHost: " + host
                + "\r\nUser-Agent: netra-bench\r\n"
                + (bodyBytes > 0 ? "Content-Length: " + bodyBytes + "\r\n" : "")
                + (churn ? "Connection: close\r\n" : "") + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        this.request = Arrays.copyOf(h, h.length + Math.max(bodyBytes, 0));
        Arrays.fill(this.request, h.length, this.request.length, (byte) 'x');
    }

    static final String USAGE = "usage: LoadGen HOST:PORT CONNECTIONS SECONDS [RATE] [--churn] [--body BYTES] [--path PATH]"
            + " | LoadGen HOST:PORT bulk MEGABYTES";

    /**
     * Ad-hoc load for profiling a sidecar by hand:
     * {@code LoadGen HOST:PORT CONNECTIONS SECONDS [RATE] [--churn] [--body BYTES] [--path PATH]}
     * (no rate = closed loop), or {@code LoadGen HOST:PORT bulk MEGABYTES} to a byte-counting sink.
     */
    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        boolean churn = false;
        int body = 0;
        String path = "/";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--churn" -> churn = true;
                case "--body" -> body = i + 1 < args.length && args[i + 1].matches("\\d{1,9}") ? Integer.parseInt(args[++i]) : -1;
                case "--path" -> path = i + 1 < args.length ? args[++i] : "";
                default -> positional.add(args[i]);
            }
        }
        if (positional.size() < 3 || body < 0 || !path.startsWith("/")) {
            System.err.println(USAGE);
            System.exit(64);
        }
        args = positional.toArray(String[]::new);
        int colon = args[0].lastIndexOf(':');
        InetSocketAddress target = new InetSocketAddress(args[0].substring(0, colon), Integer.parseInt(args[0].substring(colon + 1)));
        if (args[1].equals("bulk")) {
            System.out.printf("bulk %.0f MB/s%n", bulk(target, Long.parseLong(args[2]) << 20));
            return;
        }
        LoadGen gen = new LoadGen(target, "server:8080", path, body, churn);
        int connections = Integer.parseInt(args[1]);
        Duration d = Duration.ofSeconds(Long.parseLong(args[2]));
        Result r = args.length > 3 ? gen.openLoop(connections, Double.parseDouble(args[3]), d) : gen.closedLoop(connections, d);
        System.out.printf("%d requests, %d errors, %.0f req/s, p50 %.0f us, p90 %.0f us, p99 %.0f us, p99.9 %.0f us%n",
                r.requests(), r.errors(), r.rps(), r.micros(50), r.micros(90), r.micros(99), r.micros(99.9));
    }

    /** Closed loop: {@code connections} connections, each sending its next request when the last is answered. */
    Result closedLoop(int connections, Duration duration) throws InterruptedException {
        return run(connections, duration, 0);
    }

    /** Open loop: {@code rate} requests per second in total, spread over {@code connections}. */
    Result openLoop(int connections, double rate, Duration duration) throws InterruptedException {
        return run(connections, duration, rate / connections);
    }

    private Result run(int connections, Duration duration, double perConnectionRate) throws InterruptedException {
        AtomicLong requests = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Histogram> histograms = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        for (int i = 0; i < connections; i++) {
            Histogram h = new Histogram(60_000_000_000L, 3);
            histograms.add(h);
            threads.add(Thread.ofPlatform().daemon().start(() -> connection(end, perConnectionRate, h, requests, errors)));
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram all = new Histogram(60_000_000_000L, 3);
        histograms.forEach(all::add);
        return new Result(requests.get(), errors.get(), seconds, all);
    }

    private void connection(long end, double rate, Histogram h, AtomicLong requests, AtomicLong errors) {
        long interval = rate > 0 ? (long) (1e9 / rate) : 0;
        long due = System.nanoTime();
        byte[] buf = new byte[16 * 1024];
        try {
            while (System.nanoTime() < end) {
                // with churn a request counts from before its connection is opened
                long sent = churn ? await(due, interval, end) : 0;
                if (sent < 0) {
                    return;
                }
                try (Socket s = open()) {
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    while (true) {
                        if (!churn && (sent = await(due, interval, end)) < 0) {
                            return;
                        }
                        out.write(request);
                        if (!readResponse(in, buf)) {
                            errors.incrementAndGet();
                            break;
                        }
                        h.recordValue(Math.max(0, System.nanoTime() - sent));
                        requests.incrementAndGet();
                        due = sent + interval;
                        if (churn) {
                            // the server closes first: wait for it, so this side keeps no TIME_WAIT
                            while (in.read(buf) >= 0) {
                                // nothing follows a Connection: close response
                            }
                            break;
                        }
                    }
                } catch (IOException e) {
                    errors.incrementAndGet();
                    sleepQuietly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Open loop: sleeps until {@code due} and returns it (latency counts from when the request
     * was due); closed loop: returns now. -1 once the run is over.
     */
    private static long await(long due, long interval, long end) throws InterruptedException {
        long now = System.nanoTime();
        if (now >= end) {
            return -1;
        }
        if (interval == 0) {
            return now;
        }
        if (due > now) {
            long wait = due - now;
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        return due;
    }

    /** Reads one response (head and Content-Length body); false on a broken connection or a non-200. */
    private static boolean readResponse(InputStream in, byte[] buf) throws IOException {
        int n = 0;
        int headEnd = -1;
        while (headEnd < 0) {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                return false;
            }
            n += r;
            for (int i = Math.max(3, n - r - 3); i < n; i++) {
                if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
                    headEnd = i + 1;
                    break;
                }
            }
        }
        boolean ok = buf[9] == '2';
        int length = contentLength(buf, headEnd);
        int have = n - headEnd;
        while (have < length) {
            int r = in.read(buf, 0, Math.min(buf.length, length - have));
            if (r < 0) {
                return false;
            }
            have += r;
        }
        return ok;
    }

    private static int contentLength(byte[] b, int headEnd) {
        String head = new String(b, 0, headEnd, StandardCharsets.ISO_8859_1).toLowerCase();
        int at = head.indexOf("content-length:");
        if (at < 0) {
            return 0;
        }
        int eol = head.indexOf('\r', at);
        return Integer.parseInt(head.substring(at + 15, eol).trim());
    }

    /** Keep-alive connections that each made one request and now wait, as an app's idle pool does. */
    static final class IdleConnections implements AutoCloseable {
        private final List<Socket> sockets = new ArrayList<>();
        private int failed;

        /** Connections that could not be opened or answered. */
        int failed() {
            return failed;
        }

        @Override
        public void close() {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing: nothing to do
                }
            }
        }
    }

    /**
     * Opens {@code connections} keep-alive connections, one request each, and leaves them open;
     * gives up after a minute (the ones not opened count as failed).
     */
    IdleConnections idle(int connections) {
        IdleConnections idle = new IdleConnections();
        byte[] buf = new byte[16 * 1024];
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        for (int i = 0; i < connections; i++) {
            if (System.nanoTime() > deadline) {
                idle.failed += connections - i;
                break;
            }
            try {
                Socket s = open();
                idle.sockets.add(s);
                s.getOutputStream().write(request);
                if (!readResponse(s.getInputStream(), buf)) {
                    idle.failed++;
                }
            } catch (IOException e) {
                idle.failed++;
            }
        }
        return idle;
    }

    /** A connection to the target as every mode opens one: no Nagle, bounded connect and reads. */
    private Socket open() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(target, 5000);
            s.setSoTimeout(10_000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Sends {@code bytes} over one connection to a counting sink; MB/s until it acknowledged them all. */
    static double bulk(InetSocketAddress sink, long bytes) throws IOException {
        byte[] chunk = new byte[256 * 1024];
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(sink, 5000);
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            for (long left = bytes; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
            s.shutdownOutput();
            String ack = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (Long.parseLong(ack) != bytes) {
                throw new IOException("sink got " + ack + " of " + bytes + " bytes");
            }
        }
        return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
