package dev.netra.it;

import com.github.dockerjava.api.model.Capability;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * netra-init with every capability dropped but those k8s/example.yaml adds (NET_ADMIN, NET_RAW),
 * on each iptables backend, and the traffic intercepted afterwards; on an nft host NET_ADMIN
 * alone is enough, and on a host with legacy tables a missing NET_RAW is named.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InitCapabilitiesTest {
    private Network network;
    private Pod client;
    private Pod pod;

    @BeforeAll
    void start() {
        network = Network.newNetwork();
        client = Pod.plain(network, "client", "echo:9");
    }

    @AfterEach
    void stopPod() {
        if (pod != null) {
            pod.close();
            pod = null;
        }
    }

    @AfterAll
    void stop() {
        client.close();
        network.close();
    }

    /** The app answers through the sidecar, which saw the connection come in. */
    private void assertIntercepted(Map<String, String> env) {
        pod.startSidecar(env, Wait.forLogMessage(".*tracing and JVM metrics up.*", 1));
        var r = client.run("http-load", "app", "8080", "/intercepted", "1");
        assertEquals(0, r.getExitCode(), r.getStdout() + r.getStderr());
        assertTrue(pod.metric("netra_tcp_connections_opened_total", "direction=\"inbound\"") >= 1, pod.metrics());
    }

    @Test
    void theseAreTheCapabilitiesTheShippedManifestGives() throws java.io.IOException {
        // k8s/example.yaml is what netra inject writes (ManifestsInRepositoryTest keeps it so)
        var yaml = tools.jackson.dataformat.yaml.YAMLMapper.builder().build();
        io.fabric8.kubernetes.api.model.apps.Deployment deployment;
        try (var docs = yaml.readValues(yaml.createParser(java.nio.file.Files.readString(
                java.nio.file.Path.of("..", "k8s", "example.yaml"))), tools.jackson.databind.JsonNode.class)) {
            deployment = yaml.treeToValue(docs.readAll().stream()
                    .filter(d -> d.path("kind").asString().equals("Deployment")).findFirst().orElseThrow(),
                    io.fabric8.kubernetes.api.model.apps.Deployment.class);
        }
        var inits = deployment.getSpec().getTemplate().getSpec().getInitContainers();
        assertEquals("netra-init", inits.get(0).getName());
        assertEquals(java.util.Arrays.stream(Pod.INIT_CAPABILITIES).map(Enum::name).toList(),
                inits.get(0).getSecurityContext().getCapabilities().getAdd(), "netra-init adds exactly these");
        assertEquals(java.util.List.of("ALL"), inits.get(0).getSecurityContext().getCapabilities().getDrop());
        assertEquals("netra", inits.get(1).getName());
        assertEquals(java.util.List.of(), inits.get(1).getSecurityContext().getCapabilities().getAdd(), "the sidecar adds none");
        assertEquals(java.util.List.of("ALL"), inits.get(1).getSecurityContext().getCapabilities().getDrop());
    }

    @ParameterizedTest(name = "NETRA_IPTABLES_MODE={0}")
    @ValueSource(strings = {"auto", "nft", "legacy"})
    void theManifestsCapabilitiesAreEnoughOnEitherBackend(String mode) {
        Map<String, String> env = Map.of("NETRA_IPTABLES_MODE", mode);
        pod = Pod.initialized(network, "app", env, "http:8080");
        assertIntercepted(env);
    }

    @Test
    void onAnNftHostNetAdminAloneIsEnough() {
        pod = Pod.initialized(network, "app", Map.of("NETRA_IPTABLES_MODE", "nft"), "http:8080");
        // the rules again, now with NET_ADMIN only, as auto: nothing of legacy iptables is read
        String log = pod.runInit(Map.of(), Capability.NET_ADMIN);
        assertTrue(log.contains("nft"), log);
        assertIntercepted(Map.of());
    }

    @Test
    void withLegacyTablesPresentAMissingNetRawIsNamed() {
        pod = Pod.initialized(network, "app", Map.of("NETRA_IPTABLES_MODE", "nft"), "http:8080");
        // a legacy table in the pod's namespace, as a legacy-iptables host's runtime leaves one
        try (GenericContainer<?> legacy = new GenericContainer<>(DockerImageName.parse("netra-init:" + Pod.TAG))
                .withNetworkMode("container:" + pod.app.getContainerId())
                .withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("iptables-legacy")
                        .getHostConfig().withCapDrop(Capability.ALL).withCapAdd(Capability.NET_ADMIN, Capability.NET_RAW))
                .withCommand("-t", "nat", "-A", "OUTPUT", "-d", "192.0.2.1/32", "-j", "RETURN")
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60)))) {
            legacy.start();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pod.runInit(Map.of(), Capability.NET_ADMIN));
        assertTrue(e.getMessage().contains("NET_RAW"), e.getMessage());
        String log = pod.runInit(Map.of()); // the manifest's capabilities
        assertTrue(!log.isBlank(), log);
        assertIntercepted(Map.of());
    }
}
