package dev.netra.init;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The init container's settings: netramesh's variables with their names, defaults and meaning,
 * plus netra's exclusions. Every value is checked here, before any rule is touched.
 */
public record InitConfig(
        int sidecarPort,
        Set<Integer> sidecarOwnPorts,
        long sidecarUid,
        long sidecarGid,
        Set<Integer> inboundPorts,
        Set<Integer> outboundPorts,
        String inboundProbability,
        String outboundProbability,
        Set<Integer> inboundExcludePorts,
        Set<Integer> outboundExcludePorts,
        List<String> outboundExcludeCidrs,
        Mode mode,
        Ipv6 ipv6) {

    /** Which iptables backend to drive. */
    public enum Mode { AUTO, NFT, LEGACY }

    /** Whether to write the same rules for IPv6. */
    public enum Ipv6 { AUTO, TRUE, FALSE }

    /** Port lists: empty means "every port" ({@code *}). */
    public static final Set<Integer> ALL = Set.of();

    /** A value that cannot be used; the message names the variable and the value. */
    public static final class InvalidConfig extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidConfig(String name, String value, String expected) {
            super(name + "='" + value + "' is invalid: expected " + expected);
        }
    }

    public static InitConfig from(Map<String, String> env) {
        int sidecarPort = port(env, "NETRA_SIDECAR_PORT", 14956);
        Set<Integer> own = new LinkedHashSet<>();
        own.add(sidecarPort);
        int pprof = env.containsKey("NETRA_PPROF_PORT") && "0".equals(env.get("NETRA_PPROF_PORT").trim())
                ? 0 : port(env, "NETRA_PPROF_PORT", 14957);
        if (pprof != 0) {
            own.add(pprof);
        }
        own.add(port(env, "NETRA_PROMETHEUS_PORT", 14958));
        return new InitConfig(
                sidecarPort,
                Set.copyOf(own),
                id(env, "NETRA_SIDECAR_USER_ID", 1337),
                id(env, "NETRA_SIDECAR_GROUP_ID", 1337),
                interceptPorts(env, "INBOUND_INTERCEPT_PORTS"),
                interceptPorts(env, "OUTBOUND_INTERCEPT_PORTS"),
                probability(env, "NETRA_INBOUND_PROBABILITY"),
                probability(env, "NETRA_OUTBOUND_PROBABILITY"),
                ports(env, "NETRA_INBOUND_EXCLUDE_PORTS"),
                ports(env, "NETRA_OUTBOUND_EXCLUDE_PORTS"),
                cidrs(env, "NETRA_OUTBOUND_EXCLUDE_CIDRS"),
                choice(env, "NETRA_IPTABLES_MODE", Mode.class, Mode.AUTO),
                choice(env, "NETRA_IPV6", Ipv6.class, Ipv6.AUTO));
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static int port(Map<String, String> env, String name, int def) {
        String v = value(env, name);
        return v == null ? def : parsePort(name, v, null);
    }

    /** {@code whole} is the full list value, or null for a single-port variable. */
    private static int parsePort(String name, String item, String whole) {
        try {
            int p = Integer.parseInt(item.trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw whole == null ? new InvalidConfig(name, item, "a port 1-65535")
                : new InvalidConfig(name, whole, "a comma list of ports 1-65535 (bad item '" + item.trim() + "')");
    }

    private static Set<Integer> ports(Map<String, String> env, String name) {
        String v = value(env, name);
        Set<Integer> ports = new LinkedHashSet<>();
        if (v != null) {
            for (String item : v.split(",")) {
                if (!item.isBlank()) {
                    ports.add(parsePort(name, item, v));
                }
            }
        }
        return Set.copyOf(ports);
    }

    private static Set<Integer> interceptPorts(Map<String, String> env, String name) {
        String v = value(env, name);
        if (v == null || v.equals("*")) {
            return ALL;
        }
        Set<Integer> ports = ports(env, name);
        if (ports.isEmpty()) {
            throw new InvalidConfig(name, v, "* or a comma list of ports 1-65535");
        }
        return ports;
    }

    private static long id(Map<String, String> env, String name, long def) {
        String v = value(env, name);
        if (v == null) {
            return def;
        }
        try {
            long id = Long.parseLong(v);
            if (id >= 0 && id <= 4_294_967_294L) {
                return id;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InvalidConfig(name, v, "a numeric id from 0 to 4294967294");
    }

    /** Kept as a canonical decimal string, since that is how iptables takes it. */
    private static String probability(Map<String, String> env, String name) {
        String v = value(env, name);
        if (v == null) {
            return "1";
        }
        try {
            BigDecimal p = new BigDecimal(v);
            if (p.signum() >= 0 && p.compareTo(BigDecimal.ONE) <= 0) {
                return p.signum() == 0 ? "0" : p.stripTrailingZeros().toPlainString();
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InvalidConfig(name, v, "a probability from 0 to 1");
    }

    private static List<String> cidrs(Map<String, String> env, String name) {
        String v = value(env, name);
        List<String> cidrs = new ArrayList<>();
        if (v != null) {
            for (String item : v.split(",")) {
                if (!item.isBlank()) {
                    cidrs.add(cidr(name, item.trim(), v));
                }
            }
        }
        return List.copyOf(cidrs);
    }

    /** Validates ADDRESS[/PREFIX] without DNS: only literal addresses are accepted. */
    private static String cidr(String name, String item, String whole) {
        String expected = "a comma list of CIDRs like 10.0.0.0/8 or fd00::/8 (bad item '" + item + "')";
        int slash = item.indexOf('/');
        String addr = slash < 0 ? item : item.substring(0, slash);
        boolean v6 = addr.contains(":");
        if (!(v6 ? addr.matches("[0-9a-fA-F:.]+") : addr.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) {
            throw new InvalidConfig(name, whole, expected);
        }
        try {
            InetAddress.getByName(addr);
        } catch (UnknownHostException e) {
            throw new InvalidConfig(name, whole, expected);
        }
        if (slash >= 0) {
            try {
                int prefix = Integer.parseInt(item.substring(slash + 1));
                if (prefix < 0 || prefix > (v6 ? 128 : 32)) {
                    throw new InvalidConfig(name, whole, expected);
                }
            } catch (NumberFormatException e) {
                throw new InvalidConfig(name, whole, expected);
            }
        }
        return item;
    }

    private static <E extends Enum<E>> E choice(Map<String, String> env, String name, Class<E> type, E def) {
        String v = value(env, name);
        if (v == null) {
            return def;
        }
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder all = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                all.append(all.isEmpty() ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new InvalidConfig(name, v, "one of " + all);
        }
    }
}
