package dev.netra.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/netra bench}: runs inside the client network namespace that scripts/bench.sh built
 * (client 10.88.0.1, server 10.88.0.2 with nginx on :8080, an OTLP sink on :4318 and a byte
 * counter on :9000, an nginx reverse proxy on 127.0.0.1:18080), and measures each case side by
 * side, alternating cases over several rounds and reporting medians.
 */
public final class Bench {
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.88.0.2", 8080);
    /** The server's network namespace, named per run by scripts/bench.sh. */
    private static final String SERVER_NS = System.getenv().getOrDefault("NETRA_BENCH_SERVER_NS", "nb-s");
    private static final InetSocketAddress PROXY = new InetSocketAddress("127.0.0.1", 18080);
    private static final InetSocketAddress BULK = new InetSocketAddress("10.88.0.2", 9000);
    /** The server's nginx speaking HTTP/2 (prior knowledge), and the nginx proxy's HTTP/2 port (grpc_pass to it). */
    private static final InetSocketAddress SERVER_H2 = new InetSocketAddress("10.88.0.2", 8082);
    private static final InetSocketAddress PROXY_H2 = new InetSocketAddress("127.0.0.1", 18082);
    /** Keep-alive connections held open, idle, for the RSS row an app's connection pools show. */
    private static final int IDLE_CONNECTIONS = 1000;

    /** A way to reach the server: directly, through netra (one or two hops), nginx, or a peer's sidecar. */
    record Case(String name, InetSocketAddress target, int hops, boolean clientSidecar, boolean serverSidecar,
                Map<String, String> env, String peerCommand) {
        boolean netra() {
            return clientSidecar || serverSidecar;
        }
    }

    private final Path root;
    private final boolean quick;
    private final Duration run;
    private final int rounds;
    private final long bulkBytes;
    private final Duration settle;
    private final Duration warmup;
    /** The nginx reverse proxy's pid file (its CPU is measured like a sidecar's), or null. */
    private final Path nginxPidFile;
    private final List<Process> sidecars = new ArrayList<>();
    /** The AOT cache's setting for every sidecar started: recording it while priming, mapping it after. */
    private Map<String, String> aotEnv = Map.of();
    /** case -> metric -> values over rounds. */
    private final Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();

    private Bench(Path root, boolean quick, Duration warmup, Path nginxPidFile) {
        this.root = root;
        this.quick = quick;
        this.warmup = warmup;
        this.nginxPidFile = nginxPidFile;
        this.run = Duration.ofMillis(quick ? 1500 : 4000);
        this.rounds = quick ? 1 : 3;
        this.bulkBytes = quick ? 32L << 20 : 256L << 20;
        this.settle = Duration.ofSeconds(quick ? 3 : 60);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        boolean quick = Arrays.asList(args).contains("--quick");
        Path json = Path.of(args[Arrays.asList(args).indexOf("--json") + 1]);
        int pidFile = Arrays.asList(args).indexOf("--nginx-pid-file");
        Path nginxPidFile = pidFile < 0 ? null : Path.of(args[pidFile + 1]);
        Duration warmup;
        try {
            warmup = warmup(System.getenv("NETRA_BENCH_WARMUP_SECONDS"), quick);
        } catch (IllegalArgumentException e) {
            System.err.println("netra bench: " + e.getMessage());
            System.exit(64);
            return;
        }
        Bench b = new Bench(root, quick, warmup, nginxPidFile);
        List<Case> cases = new ArrayList<>(List.of(
                new Case("direct", SERVER, 0, false, false, Map.of(), null),
                new Case("netra 1 hop", SERVER, 1, true, false, Map.of(), null),
                new Case("netra mesh (2 hops)", SERVER, 2, true, true, Map.of(), null),
                new Case("netra 1 hop, tracing off", SERVER, 1, true, false,
                        Map.of("JAEGER_SAMPLER_TYPE", "const", "JAEGER_SAMPLER_PARAM", "0"), null),
                new Case("nginx", PROXY, 1, false, false, Map.of(), null)));
        String peer = System.getenv("NETRA_BENCH_PEER_CMD");
        if (peer != null && !peer.isBlank()) {
            cases.add(new Case("peer: " + peer.split(" ")[0], SERVER, 1, false, false, Map.of(), peer));
        }
        String only = System.getenv("NETRA_BENCH_CASES");
        if (only != null && !only.isBlank()) {
            List<String> wanted = List.of(only.split(";"));
            cases.removeIf(c -> !c.name().equals("direct") && !c.name().equals("nginx") && !wanted.contains(c.name()));
        }
        try {
            b.runAll(cases);
        } finally {
            b.stopSidecars();
            b.uninstall();
        }
        String table = b.table(cases);
        System.out.println(table);
        Files.createDirectories(json.toAbsolutePath().getParent());
        Files.writeString(json, b.json());
        System.out.println("results: " + json);
    }

    private void runAll(List<Case> cases) throws Exception {
        // A training run records the sidecar's AOT cache, as the images' build does; the measured
        // starts map it, as users' do. It carries traffic: a cache recorded by a start that stopped
        // at its first response missed what came up later (tracing's export path, bulk flows), and
        // those classes were then loaded from the jar in the measured runs (docs/performance-log.md,
        // tuning step 8).
        Case prime = cases.stream().filter(Case::netra).findFirst().orElse(null);
        if (prime != null) {
            System.out.println("priming: a training run of the sidecar with traffic (records its AOT cache)");
            Path dir = Files.createTempDirectory("netra-bench-aot");
            exec(List.of("chown", "1337:1337", dir.toString())); // the sidecars' user writes and owns it
            Path cache = dir.resolve("netra-sidecar.aot");
            aotEnv = Map.of("NETRA_AOT_RECORD", cache.toString());
            start(prime, new TreeMap<>());
            new LoadGen(prime.target(), "server:8080").closedLoop(4, Duration.ofSeconds(2));
            LoadGen.bulk(BULK, 8L << 20);
            stopSidecars(); // SIGTERM: spans are flushed, and the cache is written as the JVM exits
            uninstall();
            aotEnv = Files.isRegularFile(cache) ? Map.of("NETRA_AOT_CACHE", cache.toString()) : Map.of("NETRA_AOT_CACHE", "off");
            if (!Files.isRegularFile(cache)) {
                System.out.println("priming: the training run wrote no AOT cache; measuring without one");
            }
        }
        double directMax = 0;
        for (int round = 1; round <= rounds; round++) {
            boolean last = round == rounds;
            for (Case c : cases) {
                System.out.printf("round %d/%d: %s%n", round, rounds, c.name());
                Map<String, List<Double>> m = results.computeIfAbsent(c.name(), k -> new TreeMap<>());
                start(c, m);
                LoadGen gen = new LoadGen(c.target(), "server:8080");
                if (c.netra() || c.peerCommand() != null) {
                    Thread.sleep(1000); // idle: started and answered its first request, nothing else yet
                    Memory idle = memory();
                    record(m, "rss_idle_mb", idle.rssMb());
                    record(m, "anon_idle_mb", idle.anonMb());
                }
                // warm-up, not recorded: the JIT still compiles for ~25 s under load
                // (docs/performance.md); the default keeps a full run under 15 minutes
                gen.closedLoop(8, warmup);
                List<ProcessHandle> proxies = proxies(c);
                long cpuBefore = cpuTicks(proxies);
                LoadGen.Result r1 = gen.closedLoop(1, run);
                LoadGen.Result r32 = gen.closedLoop(32, run);
                long cpuAfter32 = cpuTicks(proxies);
                MemorySampler sampler = new MemorySampler();
                LoadGen.Result r256 = gen.closedLoop(256, run);
                Memory underLoad = sampler.stop();
                // half-length runs: connection set-up (accept, original destination, upstream
                // connect) and responses larger than the buffer a direction waits on
                LoadGen.Result churn = new LoadGen(c.target(), "server:8080", "/", 0, true).closedLoop(8, run.dividedBy(2));
                LoadGen.Result r16k = new LoadGen(c.target(), "server:8080", "/16k", 0, false).closedLoop(32, run.dividedBy(2));
                record(m, "rps_1", r1.rps());
                record(m, "rps_32", r32.rps());
                record(m, "rps_256", r256.rps());
                record(m, "rps_churn", churn.rps());
                record(m, "rps_32_16k", r16k.rps());
                InetSocketAddress h2Target = c.target().equals(PROXY) ? PROXY_H2 : SERVER_H2;
                h2load(h2Target, warmup); // not recorded: HTTP/2's own code paths are compiled by now
                H2Load h2 = h2load(h2Target, run.dividedBy(2));
                record(m, "rps_h2", h2.rps());
                if (c.name().equals("direct")) {
                    directMax = Math.max(directMax, r32.rps());
                }
                if (c.netra() || c.peerCommand() != null) {
                    record(m, "rss_load_mb", underLoad.rssMb());
                    record(m, "anon_load_mb", underLoad.anonMb());
                }
                if (!proxies.isEmpty()) {
                    // clock ticks are 10 ms: over the ~100k requests of a full run's two loads, ~0.1 us per request
                    record(m, "cpu_us_per_req", (cpuAfter32 - cpuBefore) * 10_000.0 / (r1.requests() + r32.requests()));
                }
                double half = directMax > 0 ? directMax / 2 : 5000;
                long errors = r1.errors() + r32.errors() + r256.errors() + churn.errors() + r16k.errors() + h2.errors();
                for (double[] rate : new double[][] {{1000, 8}, {5000, 32}, {half, 32}}) {
                    LoadGen.Result r = gen.openLoop((int) rate[1], rate[0], run);
                    String k = rate[0] == half ? "half" : String.valueOf((int) rate[0]);
                    record(m, "p50_us_" + k, r.micros(50));
                    record(m, "p90_us_" + k, r.micros(90));
                    record(m, "p99_us_" + k, r.micros(99));
                    record(m, "p999_us_" + k, r.micros(99.9));
                    errors += r.errors();
                }
                if (!c.name().equals("nginx")) {
                    // warmed up like the HTTP rows: a sidecar's first bulk flow is copied while
                    // splice links on a spare thread (docs/how-it-works.md)
                    LoadGen.bulk(BULK, bulkBytes / 4);
                    record(m, "bulk_mb_s", LoadGen.bulk(BULK, bulkBytes));
                }
                if (last && (c.netra() || c.peerCommand() != null)) {
                    Thread.sleep(settle.toMillis());
                    Memory after = memory();
                    record(m, "rss_after_mb", after.rssMb());
                    record(m, "anon_after_mb", after.anonMb());
                    try (LoadGen.IdleConnections idle = gen.idle(IDLE_CONNECTIONS)) {
                        Thread.sleep(2000);
                        record(m, "rss_idle_conns_mb", memory().rssMb());
                        errors += idle.failed();
                    }
                }
                record(m, "errors", errors);
                stopSidecars();
                uninstall();
            }
        }
        for (Case c : cases) {
            if (c.name().equals("netra 1 hop")) {
                pinning(c, results.computeIfAbsent(c.name(), k -> new TreeMap<>()));
            }
        }
    }

    /**
     * One more start of the case's sidecar, recording pinned virtual threads with JFR (no threshold)
     * through start-up, the warm-up and then the loads of a round; counted apart, since JFR is not
     * what users run.
     */
    private void pinning(Case c, Map<String, List<Double>> m) throws Exception {
        System.out.printf("pinned virtual threads: %s with JFR%n", c.name());
        Path dir = Files.createTempDirectory("netra-bench-jfr");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path jfr = dir.resolve("pinned.jfr");
        Map<String, String> env = new TreeMap<>(c.env());
        env.put("NETRA_JAVA_OPTS", "-XX:StartFlightRecording=filename=" + jfr + "," + PinnedEvents.SETTINGS);
        start(new Case(c.name(), c.target(), c.hops(), c.clientSidecar(), c.serverSidecar(), env, c.peerCommand()), new TreeMap<>());
        LoadGen gen = new LoadGen(c.target(), "server:8080");
        gen.closedLoop(8, warmup);
        Instant steady = Instant.now();
        gen.closedLoop(1, run);
        gen.closedLoop(32, run);
        gen.closedLoop(256, run);
        gen.openLoop(32, 5000, run);
        stopSidecars(); // the recording is written as the JVM exits
        uninstall();
        if (!Files.isRegularFile(jfr)) {
            System.out.println("  no JFR recording was written (" + jfr + "): pinned threads not counted");
            Files.deleteIfExists(dir);
            return;
        }
        PinnedEvents p = PinnedEvents.read(jfr, steady);
        record(m, "vt_pinned_start", p.before());
        record(m, "vt_pinned_steady", p.after());
        if (p.firstAfter() != null) {
            System.out.println("  first pinned after the warm-up: " + p.firstAfter());
        }
        Files.deleteIfExists(jfr);
        Files.deleteIfExists(dir);
    }

    /** NETRA_BENCH_WARMUP_SECONDS (0-600), else 5 s (0.5 s with --quick). */
    static Duration warmup(String env, boolean quick) {
        if (env == null || env.isBlank()) {
            return Duration.ofMillis(quick ? 500 : 5000);
        }
        // the same rule as scripts/bench.sh, which checks it before building the topology
        if (env.matches("[0-9]{1,3}") && Integer.parseInt(env) <= 600) {
            return Duration.ofSeconds(Integer.parseInt(env));
        }
        throw new IllegalArgumentException("NETRA_BENCH_WARMUP_SECONDS=" + env + ": expected whole seconds from 0 to 600");
    }

    record H2Load(double rps, long errors) {
    }

    /** HTTP/2 load by h2load (nghttp2): 4 connections with 10 streams each, for {@code d}. */
    private static H2Load h2load(InetSocketAddress target, Duration d) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("h2load", "-c", "4", "-m", "10", "-D", String.valueOf(Math.max(1, d.toSeconds())),
                "http://" + target.getHostString() + ":" + target.getPort() + "/").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(d.toSeconds() + 60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("h2load did not end: " + out);
        }
        java.util.regex.Matcher rps = java.util.regex.Pattern.compile("finished in [0-9.]+m?s, ([0-9.]+) req/s").matcher(out);
        java.util.regex.Matcher failed = java.util.regex.Pattern.compile("succeeded, ([0-9]+) failed, ([0-9]+) errored").matcher(out);
        if (!rps.find() || !failed.find()) {
            throw new IOException("h2load's output not understood: " + out);
        }
        return new H2Load(Double.parseDouble(rps.group(1)), Long.parseLong(failed.group(1)) + Long.parseLong(failed.group(2)));
    }

    private static void record(Map<String, List<Double>> m, String k, double v) {
        m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }

    /** Starts the case's sidecars (timing start to first proxied response) after writing the rules. */
    private void start(Case c, Map<String, List<Double>> m) throws Exception {
        if (!c.netra() && c.peerCommand() == null) {
            return;
        }
        long t0 = System.nanoTime();
        if (c.serverSidecar()) {
            exec(List.of("ip", "netns", "exec", SERVER_NS, "env", "NETRA_INBOUND_EXCLUDE_PORTS=4318",
                    root + "/bin/netra", "init"));
            sidecars.add(sidecar(List.of("ip", "netns", "exec", SERVER_NS), "bench-server", "http://127.0.0.1:4318", c.env()));
        }
        exec(List.of(root + "/bin/netra", "init"));
        t0 = System.nanoTime();
        if (c.clientSidecar()) {
            sidecars.add(sidecar(List.of(), "bench-client", "http://10.88.0.2:4318", c.env()));
        } else {
            sidecars.add(new ProcessBuilder("setpriv", "--reuid", "1337", "--regid", "1337", "--clear-groups", "sh", "-c",
                    c.peerCommand()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!probe(c.target())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(c.name() + ": no response through the sidecar within 30 s");
            }
            Thread.sleep(2);
        }
        record(m, "start_ms", (System.nanoTime() - t0) / 1e6);
        if (c.clientSidecar() && !"0".equals(c.env().get("JAEGER_SAMPLER_PARAM"))) {
            // the probe's exchange has a span: the time until it left for the collector
            while (exportedSpans() < 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(c.name() + ": no span exported within 30 s of the start");
                }
                Thread.sleep(5);
            }
            record(m, "first_span_ms", (System.nanoTime() - t0) / 1e6);
        }
    }

    /** netra_spans_exported_total of the client sidecar (its admin port in this namespace), 0 if it does not answer. */
    private static double exportedSpans() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 14958), 1000);
            s.setSoTimeout(1000);
            s.getOutputStream().write("GET /metrics HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String body = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            for (String line : body.split("\n")) {
                if (line.startsWith("netra_spans_exported_total ")) {
                    return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
                }
            }
            return 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private Process sidecar(List<String> prefix, String name, String otlp, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("setpriv", "--reuid", "1337", "--regid", "1337", "--clear-groups",
                root + "/bin/netra", "sidecar", "--service-name", name));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("OTEL_EXPORTER_OTLP_ENDPOINT", otlp);
        pb.environment().putAll(aotEnv);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static boolean probe(InetSocketAddress target) {
        try (Socket s = new Socket()) {
            s.connect(target, 1000);
            s.setSoTimeout(1000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: server\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] b = s.getInputStream().readNBytes(12);
            return b.length == 12 && b[9] == '2';
        } catch (IOException e) {
            return false;
        }
    }

    private void stopSidecars() throws InterruptedException {
        for (Process p : sidecars) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        sidecars.clear();
    }

    private void uninstall() throws IOException, InterruptedException {
        exec(List.of(root + "/bin/netra", "init", "--uninstall"));
        exec(List.of("ip", "netns", "exec", SERVER_NS, root + "/bin/netra", "init", "--uninstall"));
    }

    private static void exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** A process and every process under it: what a command started, wrappers included. */
    static List<ProcessHandle> tree(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        return all;
    }

    /**
     * The processes a command finally runs: the leaves of its tree. A launcher or shell that waits
     * for its child, or a master process over its workers, is left out of the memory figures; a
     * sidecar that execs (bin/netra, most proxies) is its own leaf.
     */
    static List<ProcessHandle> leaves(ProcessHandle root) {
        return tree(root).stream().filter(h -> h.children().findAny().isEmpty()).toList();
    }

    /**
     * A sidecar's resident set and its anonymous part, MB. The anonymous part is what each further
     * sidecar adds to a node; the rest is file pages (libjvm, the AOT cache's unmodified pages,
     * the runtime image) that every sidecar started from the same files shares.
     */
    record Memory(double rssMb, double anonMb) {
        static final Memory NONE = new Memory(0, 0);

        Memory max(Memory o) {
            return new Memory(Math.max(rssMb, o.rssMb), Math.max(anonMb, o.anonMb));
        }

        Memory plus(Memory o) {
            return new Memory(rssMb + o.rssMb, anonMb + o.anonMb);
        }
    }

    /**
     * The largest of the case's sidecars (per sidecar: a mesh has two), each read once: the sum
     * over the processes its command finally runs (a peer may run several).
     */
    private Memory memory() {
        Memory max = Memory.NONE;
        for (Process p : sidecars) {
            Memory sum = Memory.NONE;
            for (ProcessHandle h : leaves(p.toHandle())) {
                sum = sum.plus(memoryOf(h.pid()));
            }
            max = max.max(sum);
        }
        return max;
    }

    /**
     * What proxies a case's requests: its sidecars, or for nginx the reverse proxy's master process
     * (bin/netra bench passes its pid file), whose workers are under it; none for direct.
     */
    private List<ProcessHandle> proxies(Case c) throws IOException {
        if (c.name().equals("nginx")) {
            if (nginxPidFile == null || !Files.isRegularFile(nginxPidFile)) {
                return List.of();
            }
            return ProcessHandle.of(Long.parseLong(Files.readString(nginxPidFile).strip())).stream().toList();
        }
        return sidecars.stream().map(Process::toHandle).toList();
    }

    /** utime + stime of the processes under {@code roots}, themselves included, in clock ticks (1/100 s). */
    static long cpuTicks(List<ProcessHandle> roots) {
        long t = 0;
        for (ProcessHandle root : roots) {
            for (ProcessHandle h : tree(root)) {
                try {
                    String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    t += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                } catch (IOException e) {
                    // gone
                }
            }
        }
        return t;
    }

    private static Memory memoryOf(long pid) {
        long rssKb = 0;
        long anonKb = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rssKb = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("RssAnon:")) {
                    anonKb = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            // gone
        }
        return new Memory(rssKb / 1024.0, anonKb / 1024.0);
    }

    /** Samples the sidecars' memory every 200 ms on its own thread while a run goes on. */
    private final class MemorySampler {
        private volatile boolean running = true;
        private volatile Memory max = Memory.NONE;
        private final Thread thread = Thread.ofPlatform().daemon().start(() -> {
            while (running) {
                max = max.max(memory());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        /** The largest RSS and the largest anonymous part seen during the run. */
        Memory stop() throws InterruptedException {
            running = false;
            thread.join();
            return max.max(memory());
        }
    }

    static double median(List<Double> v) {
        if (v == null || v.isEmpty()) {
            return Double.NaN;
        }
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private double med(String c, String k) {
        return median(results.getOrDefault(c, Map.of()).get(k));
    }

    private String table(List<Case> cases) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%nnetra bench (%s: %d round%s, %.1f s warm-up and %.1f s per run, medians; ratios: x direct / x nginx)%n",
                quick ? "quick" : "full", rounds, rounds > 1 ? "s" : "", warmup.toMillis() / 1000.0, run.toMillis() / 1000.0));
        String[][] rows = {
                {"rps_1", "req/s, 1 connection"}, {"rps_32", "req/s, 32 connections"}, {"rps_256", "req/s, 256 connections"},
                {"rps_churn", "req/s, new conn per request"}, {"rps_32_16k", "req/s, 32 conns, 16 KB body"},
                {"rps_h2", "req/s, HTTP/2: 4 conns x 10 streams"},
                {"p50_us_1000", "p50 us @1k/s"}, {"p99_us_1000", "p99 us @1k/s"},
                {"p50_us_5000", "p50 us @5k/s"}, {"p90_us_5000", "p90 us @5k/s"}, {"p99_us_5000", "p99 us @5k/s"},
                {"p999_us_5000", "p99.9 us @5k/s"}, {"p50_us_half", "p50 us @50% direct max"},
                {"p99_us_half", "p99 us @50% direct max"}, {"bulk_mb_s", "bulk TCP MB/s"},
                {"rss_idle_mb", "RSS idle MB"}, {"rss_load_mb", "RSS at 256 conns MB"}, {"rss_after_mb", "RSS after load MB"},
                {"rss_idle_conns_mb", "RSS, 1000 idle conns MB"},
                {"anon_idle_mb", "private (anon) idle MB"}, {"anon_load_mb", "private at 256 conns MB"},
                {"anon_after_mb", "private after load MB"},
                {"cpu_us_per_req", "CPU us per request"}, {"start_ms", "start to 1st response ms"},
                {"first_span_ms", "start to 1st span exported ms"}, {"errors", "errors"},
                {"vt_pinned_start", "VT pinned, start + warm-up"}, {"vt_pinned_steady", "VT pinned, after warm-up"}};
        for (Case c : cases) {
            b.append(String.format(Locale.ROOT, "%n%s%n", c.name()));
            for (String[] r : rows) {
                double v = med(c.name(), r[0]);
                if (Double.isNaN(v)) {
                    continue;
                }
                double d = med("direct", r[0]);
                double n = med("nginx", r[0]);
                b.append(String.format(Locale.ROOT, "  %-28s %12.1f", r[1], v));
                if (!c.name().equals("direct") && !Double.isNaN(d) && d != 0) {
                    b.append(String.format(Locale.ROOT, "   x%.2f direct", v / d));
                }
                if (!c.name().equals("nginx") && !Double.isNaN(n) && n != 0) {
                    b.append(String.format(Locale.ROOT, "   x%.2f nginx", v / n));
                }
                b.append('\n');
            }
            if (c.hops() > 0) {
                for (String p : new String[] {"p50_us_5000", "p99_us_5000"}) {
                    double added = (med(c.name(), p) - med("direct", p)) / c.hops();
                    b.append(String.format(Locale.ROOT, "  %-28s %12.1f%n", "added per hop " + p.replace("_us_5000", "") + " us @5k/s", added));
                }
            }
        }
        return b.toString();
    }

    private String json() {
        StringBuilder b = new StringBuilder("{\n  \"mode\": \"" + (quick ? "quick" : "full") + "\",\n  \"warmup_s\": "
                + warmup.toMillis() / 1000.0 + ",\n  \"rounds\": " + rounds
                + ",\n  \"cases\": {\n");
        int i = 0;
        for (var c : results.entrySet()) {
            b.append("    \"").append(c.getKey()).append("\": {");
            int j = 0;
            for (var m : c.getValue().entrySet()) {
                b.append(j++ == 0 ? "" : ", ").append('"').append(m.getKey()).append("\": {\"median\": ")
                        .append(String.format(Locale.ROOT, "%.3f", median(m.getValue()))).append(", \"values\": ")
                        .append(m.getValue().stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList()).append('}');
            }
            b.append(i++ < results.size() - 1 ? "},\n" : "}\n");
        }
        return b.append("  }\n}\n").toString();
    }
}
