package dev.netra.init;

import dev.netra.init.Ruleset.Family;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the iptables tools of one backend (nft or legacy), chosen to match the rules the host
 * already has, the way kube-proxy and istio-init choose.
 */
final class Iptables {
    private final String variant; // "-nft", "-legacy" or "" (whatever "iptables" points to)

    private Iptables(String variant) {
        this.variant = variant;
    }

    String name() {
        return variant.isEmpty() ? "iptables" : variant.substring(1);
    }

    static Iptables choose(InitConfig.Mode mode) throws IOException {
        return switch (mode) {
            case NFT -> new Iptables("-nft");
            case LEGACY -> new Iptables("-legacy");
            case AUTO -> {
                boolean nft = onPath("iptables-nft-restore");
                boolean legacy = onPath("iptables-legacy-restore");
                if (nft && legacy) {
                    // The backend that already holds rules is the one the host uses. Legacy tables
                    // are listed in /proc without any capability, while reading them takes NET_RAW:
                    // they are read only when there are some, so nft hosts need NET_ADMIN alone.
                    if (!legacyTablesInUse(PROC_LEGACY_TABLES)) {
                        yield new Iptables("-nft");
                    }
                    int legacyRules;
                    try {
                        legacyRules = ruleCount(new Iptables("-legacy").save(Family.V4));
                    } catch (IOException e) {
                        throw new IOException("this network namespace has legacy iptables tables ("
                                + PROC_LEGACY_TABLES + ") and reading them failed: netra-init needs NET_RAW besides"
                                + " NET_ADMIN on a legacy-iptables host (" + e.getMessage().strip() + ")", e);
                    }
                    int nftRules = ruleCount(new Iptables("-nft").save(Family.V4));
                    yield new Iptables(legacyRules > nftRules ? "-legacy" : "-nft");
                }
                yield new Iptables(nft ? "-nft" : legacy ? "-legacy" : "");
            }
        };
    }

    boolean available(Family family) {
        return onPath(tool(family, "restore"));
    }

    /** {@code iptables-save -t nat}, one line per element. */
    List<String> save(Family family) throws IOException {
        Result r = run(List.of(tool(family, "save"), "-t", "nat"), null);
        if (r.code != 0) {
            throw new IOException(tool(family, "save") + " failed (exit " + r.code + "): " + r.output.strip());
        }
        return r.output.lines().toList();
    }

    void restore(Family family, String rules) throws IOException {
        Result r = run(List.of(tool(family, "restore"), "--noflush"), rules);
        if (r.code != 0) {
            throw new IOException(tool(family, "restore") + " --noflush failed (exit " + r.code + "): "
                    + r.output.strip() + "\nrules were:\n" + rules);
        }
    }

    private String tool(Family family, String verb) {
        return (family == Family.V4 ? "iptables" : "ip6tables") + variant + "-" + verb;
    }

    private static int ruleCount(List<String> save) {
        return (int) save.stream().filter(l -> l.startsWith("-A ")).count();
    }

    /** The legacy (x_tables) IPv4 tables that exist in this network namespace, one name a line. */
    static final Path PROC_LEGACY_TABLES = Path.of("/proc/net/ip_tables_names");

    /** Whether {@code names} (as /proc/net/ip_tables_names) lists a table; a missing file lists none. */
    static boolean legacyTablesInUse(Path names) {
        try {
            return !Files.readString(names).isBlank();
        } catch (IOException e) {
            return false;
        }
    }

    static boolean onPath(String binary) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        return dirs.stream().filter(d -> !d.isEmpty()).anyMatch(d -> Files.isExecutable(Path.of(d, binary)));
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> command, String stdin) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Result(p.exitValue(), output);
    }
}
