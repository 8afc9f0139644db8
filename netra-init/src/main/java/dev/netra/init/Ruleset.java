package dev.netra.init;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Renders netra's nat-table rules as {@code iptables-restore --noflush} input: one transaction
 * that (re)creates the chains NETRA_INBOUND and NETRA_OUTBOUND and the jumps into them, so that
 * applying it again, with the same or a new config, leaves exactly one copy.
 */
public final class Ruleset {
    static final String INBOUND = "NETRA_INBOUND";
    static final String OUTBOUND = "NETRA_OUTBOUND";

    /** IP family of a ruleset: iptables or ip6tables. */
    public enum Family {
        V4("127.0.0.0/8"), V6("::1/128");

        final String loopback;

        Family(String loopback) {
            this.loopback = loopback;
        }

        boolean holds(String cidr) {
            return cidr.contains(":") == (this == V6);
        }
    }

    private Ruleset() {
    }

    /**
     * The rules to install.
     *
     * @param current the output of {@code iptables-save -t nat} now (empty if there is none): the
     *                jumps netra added before are deleted in the same transaction
     */
    public static String install(InitConfig c, Family family, List<String> current) {
        List<String> out = new ArrayList<>();
        out.add("*nat");
        // In --noflush mode, declaring a chain creates it or, if it exists, empties it.
        out.add(":" + INBOUND + " - [0:0]");
        out.add(":" + OUTBOUND + " - [0:0]");
        out.addAll(deleteJumps(current));

        String redirect = " -j REDIRECT --to-ports " + c.sidecarPort();
        for (int port : sorted(c.sidecarOwnPorts(), c.inboundExcludePorts())) {
            out.add("-A " + INBOUND + " -p tcp --dport " + port + " -j RETURN");
        }
        if (c.inboundPorts().isEmpty()) {
            out.add("-A " + INBOUND + " -p tcp" + redirect);
        } else {
            for (int port : sorted(c.inboundPorts(), Set.of())) {
                out.add("-A " + INBOUND + " -p tcp --dport " + port + redirect);
            }
        }

        out.add("-A " + OUTBOUND + " -m owner --uid-owner " + c.sidecarUid() + " -j RETURN");
        out.add("-A " + OUTBOUND + " -m owner --gid-owner " + c.sidecarGid() + " -j RETURN");
        out.add("-A " + OUTBOUND + " -d " + family.loopback + " -j RETURN");
        for (String cidr : c.outboundExcludeCidrs()) {
            if (family.holds(cidr)) {
                out.add("-A " + OUTBOUND + " -d " + cidr + " -j RETURN");
            }
        }
        for (int port : sorted(c.outboundExcludePorts(), Set.of())) {
            out.add("-A " + OUTBOUND + " -p tcp --dport " + port + " -j RETURN");
        }
        if (c.outboundPorts().isEmpty()) {
            out.add("-A " + OUTBOUND + " -p tcp" + redirect);
        } else {
            for (int port : sorted(c.outboundPorts(), Set.of())) {
                out.add("-A " + OUTBOUND + " -p tcp --dport " + port + redirect);
            }
        }

        // Probability 0 means "never": no jump at all rather than a rule that never matches.
        if (!c.inboundProbability().equals("0")) {
            out.add("-A PREROUTING -p tcp" + statistic(c.inboundProbability()) + " -j " + INBOUND);
        }
        if (!c.outboundProbability().equals("0")) {
            out.add("-A OUTPUT -p tcp" + statistic(c.outboundProbability()) + " -j " + OUTBOUND);
        }
        out.add("COMMIT");
        return String.join("\n", out) + "\n";
    }

    /** The rules that remove exactly what {@link #install} added, given the current nat table. */
    public static String uninstall(List<String> current) {
        List<String> out = new ArrayList<>();
        out.add("*nat");
        out.addAll(deleteJumps(current));
        for (String chain : List.of(INBOUND, OUTBOUND)) {
            if (current.stream().anyMatch(l -> l.startsWith(":" + chain + " "))) {
                out.add(":" + chain + " - [0:0]");
                out.add("-X " + chain);
            }
        }
        out.add("COMMIT");
        return String.join("\n", out) + "\n";
    }

    /** True when the nat table holds anything of netra's. */
    public static boolean installed(List<String> current) {
        return current.stream().anyMatch(l -> l.startsWith(":" + INBOUND + " ") || l.startsWith(":" + OUTBOUND + " "));
    }

    private static List<String> deleteJumps(List<String> current) {
        List<String> deletes = new ArrayList<>();
        for (String line : current) {
            String l = line.strip();
            if ((l.startsWith("-A PREROUTING ") && l.endsWith(" -j " + INBOUND))
                    || (l.startsWith("-A OUTPUT ") && l.endsWith(" -j " + OUTBOUND))) {
                deletes.add("-D" + l.substring(2));
            }
        }
        return deletes;
    }

    private static String statistic(String probability) {
        return probability.equals("1") ? "" : " -m statistic --mode random --probability " + probability;
    }

    private static Set<Integer> sorted(Set<Integer> a, Set<Integer> b) {
        Set<Integer> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }
}
