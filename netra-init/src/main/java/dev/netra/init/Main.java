package dev.netra.init;

import dev.netra.init.Ruleset.Family;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Entry point of {@code netra init}: validate everything, then apply one ruleset per IP family. */
public final class Main {
    static final int EXIT_CONFIG = 64;
    static final int EXIT_FAILED = 1;

    static final String USAGE = """
            usage: netra init [--dry-run | --uninstall]

            Writes the nat-table rules that redirect this network namespace's TCP to the netra
            sidecar (chains NETRA_INBOUND and NETRA_OUTBOUND), with iptables-restore, atomically.
              --dry-run     print the rules that would be applied; change nothing
              --uninstall   remove exactly the rules netra added
            Configured with netramesh's variables (NETRA_SIDECAR_PORT, NETRA_SIDECAR_USER_ID,
            INBOUND_INTERCEPT_PORTS, ...) and netra's (NETRA_*_EXCLUDE_*); see docs/configuration.md.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        boolean dryRun = false;
        boolean uninstall = false;
        for (String a : args) {
            switch (a) {
                case "--dry-run" -> dryRun = true;
                case "--uninstall" -> uninstall = true;
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> {
                    System.err.println("netra init: unknown argument '" + a + "'\n" + USAGE);
                    System.exit(EXIT_CONFIG);
                }
            }
        }
        InitConfig config;
        try {
            config = InitConfig.from(System.getenv());
        } catch (InitConfig.InvalidConfig e) {
            System.err.println("netra init: configuration error: " + e.getMessage() + "; no rule was changed");
            System.exit(EXIT_CONFIG);
            return;
        }
        try {
            System.exit(run(config, dryRun, uninstall));
        } catch (IOException e) {
            System.err.println("netra init: " + e.getMessage());
            System.exit(EXIT_FAILED);
        }
    }

    static int run(InitConfig config, boolean dryRun, boolean uninstall) throws IOException {
        Iptables iptables = Iptables.choose(config.mode());
        List<Family> families = new ArrayList<>(List.of(Family.V4));
        boolean ipv6Kernel = Files.exists(Path.of("/proc/net/if_inet6"));
        switch (config.ipv6()) {
            case TRUE -> families.add(Family.V6);
            case AUTO -> {
                if (ipv6Kernel && iptables.available(Family.V6)) {
                    families.add(Family.V6);
                }
            }
            case FALSE -> { }
        }
        for (Family family : families) {
            List<String> current;
            try {
                current = iptables.available(family) ? iptables.save(family) : List.of();
            } catch (IOException e) {
                if (family == Family.V6 && config.ipv6() == InitConfig.Ipv6.AUTO) {
                    System.err.println("netra init: IPv6 rules skipped: " + e.getMessage());
                    continue;
                }
                if (!dryRun) {
                    throw e;
                }
                current = List.of();
            }
            String rules = uninstall ? Ruleset.uninstall(current) : Ruleset.install(config, family, current);
            String label = family == Family.V4 ? "iptables" : "ip6tables";
            if (dryRun) {
                System.out.println("# " + label + "-restore --noflush (" + iptables.name() + "), not applied:");
                System.out.print(rules);
                continue;
            }
            if (uninstall && !Ruleset.installed(current)) {
                System.out.println("netra init: no netra rules in the " + label + " nat table; nothing to remove");
                continue;
            }
            iptables.restore(family, rules);
            System.out.println("netra init: " + (uninstall ? "removed netra's" : "applied") + " " + label
                    + " rules (" + iptables.name() + "); nat table now:");
            iptables.save(family).stream().filter(l -> !l.startsWith("#")).forEach(System.out::println);
        }
        return 0;
    }
}
