package dev.netra.sidecar.observe;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code bin/netra tap}: prints a sidecar's live tap, a line per exchange, until interrupted (or
 * {@code --count N} lines), asking again each time the sidecar ends a stream. The sidecar's
 * profiling port is on loopback: run it in the pod ({@code kubectl exec}) or through
 * {@code kubectl port-forward}.
 */
public final class TapClient {
    private static final String USAGE = """
            usage: netra tap [--host H] [--port P] [--json] [--count N]
                             [--direction inbound|outbound] [--authority A] [--path PREFIX]
                             [--status 1xx|2xx|3xx|4xx|5xx|none] [--rate N]
                   netra top [--host H] [--port P] [--interval SECONDS] [filters as for tap]
            The exchanges a sidecar sees now, from its profiling port (default 127.0.0.1:14957);
            top: requests per second, success rate, p50 and p99 by direction, authority and path.
            """;

    private TapClient() {
    }

    public static void main(String[] args) throws Exception {
        boolean top = args.length > 0 && args[0].equals("top");
        if (top) {
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        }
        int interval = 2;
        String host = "127.0.0.1";
        int port = 14957;
        boolean json = false;
        long count = Long.MAX_VALUE;
        List<String> query = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--json" -> json = true;
                    case "--host" -> host = args[++i];
                    case "--port" -> port = Integer.parseInt(args[++i]);
                    case "--count" -> count = Long.parseLong(args[++i]);
                    case "--interval" -> interval = Integer.parseInt(args[++i]);
                    case "--direction", "--authority", "--path", "--status", "--rate" ->
                            query.add(a.substring(2) + "=" + URLEncoder.encode(args[++i], StandardCharsets.UTF_8));
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
        } catch (RuntimeException e) {
            System.err.print("netra tap: " + e.getMessage() + "\n" + USAGE);
            System.exit(64);
            return;
        }
        query.add("format=" + (json || top ? "json" : "text"));
        if (top) {
            query.add("rate=1000");
        }
        URI uri = profilingPort(host, port, "/tap?" + String.join("&", query));
        if (top) {
            System.exit(top(uri, interval));
        }
        System.exit(run(uri, count, System.out));
    }

    /** Prints the aggregated table every {@code interval} seconds until interrupted. */
    private static int top(URI uri, int interval) throws InterruptedException {
        Top table = new Top();
        long[] next = {System.nanoTime() + interval * 1_000_000_000L};
        PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream()) {
            @Override
            public void println(String line) {
                synchronized (table) {
                    table.add(line);
                }
            }
        };
        Thread printer = Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    Thread.sleep(Math.max(1, (next[0] - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
                next[0] += interval * 1_000_000_000L;
                synchronized (table) {
                    table.print(System.out);
                }
            }
        });
        int code = run(uri, Long.MAX_VALUE, sink);
        printer.interrupt();
        return code;
    }

    /** {@code pathAndQuery} on a sidecar's profiling port, for the commands that talk to it (tap, top, log-level). */
    public static URI profilingPort(String host, int port, String pathAndQuery) {
        return URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port + pathAndQuery);
    }

    /** What such a command says when the profiling port does not answer. */
    public static String unreachable(URI uri, IOException e) {
        String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName(); // a refused connect has no message
        return uri.getAuthority() + ": " + why + " (is NETRA_PPROF_PORT set to this port, and is this its address?)";
    }

    /** Prints lines from {@code uri} until {@code count} were printed; returns the exit code. */
    static int run(URI uri, long count, PrintStream out) throws InterruptedException {
        long printed = 0;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            while (printed < count) {
                HttpResponse<Stream<String>> r;
                try {
                    r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofLines());
                } catch (IOException e) {
                    System.err.println("netra tap: " + unreachable(uri, e));
                    return 1;
                }
                try (Stream<String> lines = r.body()) {
                    if (r.statusCode() != 200) {
                        System.err.println("netra tap: " + r.statusCode() + " " + String.join(" ", lines.toList()));
                        return 1;
                    }
                    Iterator<String> it = lines.iterator();
                    while (printed < count && it.hasNext()) {
                        String line = it.next();
                        if (!line.isEmpty()) {
                            out.println(line);
                            printed++;
                        }
                    }
                }
            }
        }
        out.flush();
        return 0;
    }
}
