package dev.netra.init;

import dev.netra.init.Ruleset.Family;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RulesetTest {

    @Test
    void defaultsInterceptAllTcpExceptTheSidecarsOwn() {
        String rules = Ruleset.install(InitConfig.from(Map.of()), Family.V4, List.of());
        assertEquals("""
                *nat
                :NETRA_INBOUND - [0:0]
                :NETRA_OUTBOUND - [0:0]
                -A NETRA_INBOUND -p tcp --dport 14956 -j RETURN
                -A NETRA_INBOUND -p tcp --dport 14957 -j RETURN
                -A NETRA_INBOUND -p tcp --dport 14958 -j RETURN
                -A NETRA_INBOUND -p tcp -j REDIRECT --to-ports 14956
                -A NETRA_OUTBOUND -m owner --uid-owner 1337 -j RETURN
                -A NETRA_OUTBOUND -m owner --gid-owner 1337 -j RETURN
                -A NETRA_OUTBOUND -d 127.0.0.0/8 -j RETURN
                -A NETRA_OUTBOUND -p tcp -j REDIRECT --to-ports 14956
                -A PREROUTING -p tcp -j NETRA_INBOUND
                -A OUTPUT -p tcp -j NETRA_OUTBOUND
                COMMIT
                """, rules);
    }

    @Test
    void everyNetrameshAndNetraVariableShapesTheRules() {
        InitConfig c = InitConfig.from(Map.ofEntries(
                Map.entry("NETRA_SIDECAR_PORT", "15001"),
                Map.entry("NETRA_SIDECAR_USER_ID", "2000"),
                Map.entry("NETRA_SIDECAR_GROUP_ID", "2001"),
                Map.entry("INBOUND_INTERCEPT_PORTS", "8080, 80"),
                Map.entry("OUTBOUND_INTERCEPT_PORTS", "443,80"),
                Map.entry("NETRA_INBOUND_PROBABILITY", "0.50"),
                Map.entry("NETRA_OUTBOUND_PROBABILITY", "0.25"),
                Map.entry("NETRA_PROMETHEUS_PORT", "9100"),
                Map.entry("NETRA_PPROF_PORT", "0"),
                Map.entry("NETRA_INBOUND_EXCLUDE_PORTS", "22"),
                Map.entry("NETRA_OUTBOUND_EXCLUDE_PORTS", "5432"),
                Map.entry("NETRA_OUTBOUND_EXCLUDE_CIDRS", "10.96.0.0/12,fd00::/8,169.254.169.254")));
        assertEquals("""
                *nat
                :NETRA_INBOUND - [0:0]
                :NETRA_OUTBOUND - [0:0]
                -A NETRA_INBOUND -p tcp --dport 22 -j RETURN
                -A NETRA_INBOUND -p tcp --dport 9100 -j RETURN
                -A NETRA_INBOUND -p tcp --dport 15001 -j RETURN
                -A NETRA_INBOUND -p tcp --dport 80 -j REDIRECT --to-ports 15001
                -A NETRA_INBOUND -p tcp --dport 8080 -j REDIRECT --to-ports 15001
                -A NETRA_OUTBOUND -m owner --uid-owner 2000 -j RETURN
                -A NETRA_OUTBOUND -m owner --gid-owner 2001 -j RETURN
                -A NETRA_OUTBOUND -d 127.0.0.0/8 -j RETURN
                -A NETRA_OUTBOUND -d 10.96.0.0/12 -j RETURN
                -A NETRA_OUTBOUND -d 169.254.169.254 -j RETURN
                -A NETRA_OUTBOUND -p tcp --dport 5432 -j RETURN
                -A NETRA_OUTBOUND -p tcp --dport 80 -j REDIRECT --to-ports 15001
                -A NETRA_OUTBOUND -p tcp --dport 443 -j REDIRECT --to-ports 15001
                -A PREROUTING -p tcp -m statistic --mode random --probability 0.5 -j NETRA_INBOUND
                -A OUTPUT -p tcp -m statistic --mode random --probability 0.25 -j NETRA_OUTBOUND
                COMMIT
                """, Ruleset.install(c, Family.V4, List.of()));
    }

    @Test
    void ipv6RulesUseIpv6LoopbackAndOnlyIpv6Cidrs() {
        InitConfig c = InitConfig.from(Map.of("NETRA_OUTBOUND_EXCLUDE_CIDRS", "10.0.0.0/8,fd00::/8"));
        String rules = Ruleset.install(c, Family.V6, List.of());
        assertTrue(rules.contains("-A NETRA_OUTBOUND -d ::1/128 -j RETURN\n"), rules);
        assertTrue(rules.contains("-A NETRA_OUTBOUND -d fd00::/8 -j RETURN\n"), rules);
        assertFalse(rules.contains("10.0.0.0/8"), rules);
        assertFalse(rules.contains("127.0.0.0/8"), rules);
    }

    @Test
    void reapplyingDeletesThePreviousJumpsInTheSameTransaction() {
        List<String> current = List.of(
                "*nat",
                ":PREROUTING ACCEPT [0:0]",
                ":NETRA_INBOUND - [0:0]",
                "-A PREROUTING -p tcp -m statistic --mode random --probability 0.50000000000 -j NETRA_INBOUND",
                "-A PREROUTING -p tcp -j KUBE-SERVICES",
                "-A OUTPUT -p tcp -j NETRA_OUTBOUND",
                "COMMIT");
        String rules = Ruleset.install(InitConfig.from(Map.of()), Family.V4, current);
        assertTrue(rules.contains("-D PREROUTING -p tcp -m statistic --mode random --probability 0.50000000000 -j NETRA_INBOUND\n"));
        assertTrue(rules.contains("-D OUTPUT -p tcp -j NETRA_OUTBOUND\n"));
        assertFalse(rules.contains("KUBE-SERVICES"), "someone else's rules are left alone");
        assertTrue(rules.indexOf("-D OUTPUT") < rules.indexOf("-A OUTPUT"));
    }

    @Test
    void probabilityZeroAddsNoJump() {
        InitConfig c = InitConfig.from(Map.of("NETRA_INBOUND_PROBABILITY", "0", "NETRA_OUTBOUND_PROBABILITY", "0.0"));
        String rules = Ruleset.install(c, Family.V4, List.of());
        assertFalse(rules.contains("PREROUTING"), rules);
        assertFalse(rules.contains("-A OUTPUT"), rules);
    }

    @Test
    void uninstallRemovesExactlyWhatInstallAdded() {
        List<String> current = List.of(
                "*nat",
                ":NETRA_INBOUND - [0:0]",
                ":NETRA_OUTBOUND - [0:0]",
                ":OTHER - [0:0]",
                "-A PREROUTING -p tcp -j NETRA_INBOUND",
                "-A OUTPUT -p tcp -j NETRA_OUTBOUND",
                "-A OUTPUT -p tcp -j OTHER",
                "COMMIT");
        assertEquals("""
                *nat
                -D PREROUTING -p tcp -j NETRA_INBOUND
                -D OUTPUT -p tcp -j NETRA_OUTBOUND
                :NETRA_INBOUND - [0:0]
                -X NETRA_INBOUND
                :NETRA_OUTBOUND - [0:0]
                -X NETRA_OUTBOUND
                COMMIT
                """, Ruleset.uninstall(current));
        assertEquals("*nat\nCOMMIT\n", Ruleset.uninstall(List.of("*nat", "COMMIT")));
    }
}
