package dev.netra.init;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InitConfigTest {

    @Test
    void netrameshDefaults() {
        InitConfig c = InitConfig.from(Map.of());
        assertEquals(14956, c.sidecarPort());
        assertEquals(1337, c.sidecarUid());
        assertEquals(1337, c.sidecarGid());
        assertEquals(InitConfig.ALL, c.inboundPorts());
        assertEquals(InitConfig.ALL, c.outboundPorts());
        assertEquals("1", c.inboundProbability());
        assertEquals("1", c.outboundProbability());
        assertEquals(Set.of(14956, 14957, 14958), c.sidecarOwnPorts());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "NETRA_SIDECAR_PORT|0|NETRA_SIDECAR_PORT='0' is invalid: expected a port 1-65535",
            "NETRA_SIDECAR_PORT|abc|NETRA_SIDECAR_PORT='abc' is invalid: expected a port 1-65535",
            "NETRA_SIDECAR_PORT|65536|NETRA_SIDECAR_PORT='65536' is invalid: expected a port 1-65535",
            "NETRA_PROMETHEUS_PORT|-1|NETRA_PROMETHEUS_PORT='-1' is invalid: expected a port 1-65535",
            "NETRA_SIDECAR_USER_ID|-5|NETRA_SIDECAR_USER_ID='-5' is invalid: expected a numeric id from 0 to 4294967294",
            "NETRA_SIDECAR_USER_ID|netra|NETRA_SIDECAR_USER_ID='netra' is invalid: expected a numeric id from 0 to 4294967294",
            "NETRA_SIDECAR_GROUP_ID|1.5|NETRA_SIDECAR_GROUP_ID='1.5' is invalid: expected a numeric id from 0 to 4294967294",
            "INBOUND_INTERCEPT_PORTS|80,x|INBOUND_INTERCEPT_PORTS='80,x' is invalid: expected a comma list of ports 1-65535 (bad item 'x')",
            "OUTBOUND_INTERCEPT_PORTS|99999|OUTBOUND_INTERCEPT_PORTS='99999' is invalid: expected a comma list of ports 1-65535 (bad item '99999')",
            "OUTBOUND_INTERCEPT_PORTS|',,'|OUTBOUND_INTERCEPT_PORTS=',,' is invalid: expected * or a comma list of ports 1-65535",
            "NETRA_INBOUND_PROBABILITY|1.5|NETRA_INBOUND_PROBABILITY='1.5' is invalid: expected a probability from 0 to 1",
            "NETRA_OUTBOUND_PROBABILITY|-0.1|NETRA_OUTBOUND_PROBABILITY='-0.1' is invalid: expected a probability from 0 to 1",
            "NETRA_OUTBOUND_PROBABILITY|half|NETRA_OUTBOUND_PROBABILITY='half' is invalid: expected a probability from 0 to 1",
            "NETRA_INBOUND_EXCLUDE_PORTS|22,0|NETRA_INBOUND_EXCLUDE_PORTS='22,0' is invalid: expected a comma list of ports 1-65535 (bad item '0')",
            "NETRA_OUTBOUND_EXCLUDE_PORTS|ssh|NETRA_OUTBOUND_EXCLUDE_PORTS='ssh' is invalid: expected a comma list of ports 1-65535 (bad item 'ssh')",
            "NETRA_OUTBOUND_EXCLUDE_CIDRS|10.0.0.0/33|NETRA_OUTBOUND_EXCLUDE_CIDRS='10.0.0.0/33' is invalid: expected a comma list of CIDRs like 10.0.0.0/8 or fd00::/8 (bad item '10.0.0.0/33')",
            "NETRA_OUTBOUND_EXCLUDE_CIDRS|example.com|NETRA_OUTBOUND_EXCLUDE_CIDRS='example.com' is invalid: expected a comma list of CIDRs like 10.0.0.0/8 or fd00::/8 (bad item 'example.com')",
            "NETRA_OUTBOUND_EXCLUDE_CIDRS|fd00::/129|NETRA_OUTBOUND_EXCLUDE_CIDRS='fd00::/129' is invalid: expected a comma list of CIDRs like 10.0.0.0/8 or fd00::/8 (bad item 'fd00::/129')",
            "NETRA_IPTABLES_MODE|iptables|NETRA_IPTABLES_MODE='iptables' is invalid: expected one of auto, nft, legacy",
            "NETRA_IPV6|yes|NETRA_IPV6='yes' is invalid: expected one of auto, true, false",
    })
    void everyBadValueIsNamedWithItsVariable(String name, String value, String message) {
        InitConfig.InvalidConfig e = assertThrows(InitConfig.InvalidConfig.class, () -> InitConfig.from(Map.of(name, value)));
        assertEquals(message, e.getMessage());
    }
}
