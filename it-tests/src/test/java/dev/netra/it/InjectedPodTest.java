package dev.netra.it;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import dev.netra.inject.Injector;
import dev.netra.inject.Manifests;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code netra inject} writes, run as kubelet would run it: a Deployment as a user writes
 * it is injected, and its pod spec becomes containers sharing one network namespace (a pause
 * container's): the init containers in order, the native sidecar until its startup probe passes,
 * then the app. Each runs with exactly the user, capabilities (all dropped, then added), read-only
 * root file system, emptyDir volumes, arguments and environment (downward API resolved) that the
 * spec says. The pod's traffic is then intercepted and traced.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InjectedPodTest {
    private static final int QUERY = 4318;
    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: shop
            spec:
              selector:
                matchLabels: {app: shop}
              template:
                metadata:
                  labels: {app: shop}
                  annotations:
                    netra.io/http-ports: "8080"
                    netra.io/tracing-endpoint: http://collector:4318
                spec:
                  containers:
                    - name: app
                      image: netra-testapp:%s
                      args: [serve, "http:8080"]
            """.formatted(Pod.TAG);
    private final Network network = Network.newNetwork();
    private final List<GenericContainer<?>> containers = new ArrayList<>();

    @AfterAll
    void stop() {
        for (int i = containers.size() - 1; i >= 0; i--) {
            containers.get(i).stop();
        }
        network.close();
    }

    private static PodSpec injected() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Manifests(new Injector(new Injector.Images("netra-init:" + Pod.TAG, "netra-sidecar:" + Pod.TAG),
                Injector.Mode.NATIVE), false, w -> { throw new AssertionError(w); })
                .process(new StringReader(DEPLOYMENT), new PrintStream(out, true, StandardCharsets.UTF_8));
        return YAMLMapper.builder().build().readValue(out.toString(StandardCharsets.UTF_8), Deployment.class)
                .getSpec().getTemplate().getSpec();
    }

    /** A container of the spec, in the pause container's network namespace, as kubelet would make it. */
    private static GenericContainer<?> asKubeletWould(Container c, GenericContainer<?> pause) {
        GenericContainer<?> g = new GenericContainer<>(DockerImageName.parse(c.getImage()))
                .withNetworkMode("container:" + pause.getContainerId());
        if (c.getArgs() != null && !c.getArgs().isEmpty()) {
            g.withCommand(c.getArgs().toArray(String[]::new));
        }
        Map<String, String> env = new HashMap<>();
        for (EnvVar e : c.getEnv()) {
            env.put(e.getName(), e.getValue() != null ? e.getValue() : switch (e.getValueFrom().getFieldRef().getFieldPath()) {
                case "metadata.name" -> "shop-7d9f-x2x4q";
                case "metadata.namespace" -> "default";
                case "spec.nodeName" -> "node-1";
                default -> throw new AssertionError("unexpected downward API field " + e.getValueFrom().getFieldRef().getFieldPath());
            });
        }
        g.withEnv(env);
        SecurityContext sc = c.getSecurityContext();
        Consumer<CreateContainerCmd> exactly = cmd -> {
            if (sc == null) {
                return;
            }
            if (sc.getRunAsUser() != null) {
                cmd.withUser(sc.getRunAsUser() + (sc.getRunAsGroup() != null ? ":" + sc.getRunAsGroup() : ""));
            }
            if (sc.getCapabilities() != null) {
                cmd.getHostConfig().withCapDrop(sc.getCapabilities().getDrop().stream().map(Capability::valueOf).toArray(Capability[]::new));
                cmd.getHostConfig().withCapAdd(sc.getCapabilities().getAdd().stream().map(Capability::valueOf).toArray(Capability[]::new));
            }
            if (Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
                cmd.getHostConfig().withReadonlyRootfs(true);
            }
            Map<String, String> tmpfs = new HashMap<>();
            for (VolumeMount m : c.getVolumeMounts()) {
                tmpfs.put(m.getMountPath(), "size=64m,uid=" + sc.getRunAsUser()); // the emptyDir volumes
            }
            if (!tmpfs.isEmpty()) {
                cmd.getHostConfig().withTmpFs(tmpfs);
            }
        };
        return g.withCreateContainerCmdModifier(exactly);
    }

    @Test
    void anInjectedDeploymentRunsInterceptedAndTracedWithExactlyItsCapabilities() throws Exception {
        PodSpec spec = injected();
        GenericContainer<?> collector = new GenericContainer<>(DockerImageName.parse("netra-testapp:" + Pod.TAG))
                .withNetwork(network).withNetworkAliases("collector").withCommand("serve", "collector:4318:6831")
                .withExposedPorts(QUERY).waitingFor(Wait.forLogMessage(".*serving.*", 1));
        containers.add(collector);
        collector.start();
        // the pod's network namespace, as the pause container holds it
        GenericContainer<?> pause = new GenericContainer<>(DockerImageName.parse("netra-testapp:" + Pod.TAG))
                .withNetwork(network).withNetworkAliases("shop").withCommand("serve")
                .withExposedPorts(14958).waitingFor(Wait.forLogMessage(".*serving.*", 1))
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withCapDrop(Capability.ALL));
        containers.add(pause);
        pause.start();

        List<String> order = new ArrayList<>();
        for (Container c : spec.getInitContainers()) {
            GenericContainer<?> g = asKubeletWould(c, pause);
            order.add(c.getName());
            if ("Always".equals(c.getRestartPolicy())) {
                // a native sidecar: the next container starts once its startup probe passes, asked
                // through the pod's port (published by the pause container, whose namespace it is)
                containers.add(g);
                g.start();
                awaitProbe(pause, c.getStartupProbe().getHttpGet().getPath(),
                        c.getStartupProbe().getHttpGet().getPort().getIntVal(),
                        c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold());
            } else {
                try (g) {
                    g.withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60))).start();
                }
            }
        }
        for (Container c : spec.getContainers()) {
            GenericContainer<?> g = asKubeletWould(c, pause).waitingFor(Wait.forLogMessage(".*serving.*", 1));
            order.add(c.getName());
            containers.add(g);
            g.start();
        }
        assertEquals(List.of("netra-init", "netra", "app"), order);

        GenericContainer<?> client = new GenericContainer<>(DockerImageName.parse("netra-testapp:" + Pod.TAG))
                .withNetwork(network).withCommand("serve").waitingFor(Wait.forLogMessage(".*serving.*", 1));
        containers.add(client);
        client.start();
        var r = client.execInContainer("/opt/netra/bin/netra", "testapp", "http-load", "shop", "8080", "/injected", "3",
                "X-Request-Id: injected-1");
        assertTrue(r.getStdout().contains("statuses={200=3}"), r.getStdout() + r.getStderr());

        try (HttpClient http = HttpClient.newHttpClient()) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://" + pause.getHost() + ":"
                    + pause.getMappedPort(14958) + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertEquals(3, Metrics.sum(metrics, "netra_http_requests_total", "direction=\"inbound\""), metrics);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            List<Map<String, String>> spans = List.of();
            while (System.nanoTime() < deadline) {
                String body = http.send(HttpRequest.newBuilder(URI.create("http://" + collector.getHost() + ":"
                        + collector.getMappedPort(QUERY) + "/spans")).build(), HttpResponse.BodyHandlers.ofString()).body();
                spans = dev.netra.testapp.TraceTree.parse(body).stream()
                        .filter(s -> "injected-1".equals(s.get("a.http.request_id"))).toList();
                if (spans.size() >= 3) {
                    break;
                }
                Thread.sleep(300);
            }
            assertEquals(3, spans.size(), "a span per request");
            assertEquals("shop", spans.getFirst().get("service"), "the workload's name is the service name");
            assertEquals("shop-7d9f-x2x4q", spans.getFirst().get("a.resource.k8s.pod.name"), "the pod's name from the downward API");
        }
    }

    /** Polls {@code path} on the pod's {@code port} until 200, as kubelet's probe would, for at most {@code seconds}. */
    private static void awaitProbe(GenericContainer<?> pause, String path, int port, int seconds) throws Exception {
        URI uri = URI.create("http://" + pause.getHost() + ":" + pause.getMappedPort(port) + path);
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        int status = 0;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            while (System.nanoTime() < deadline) {
                try {
                    status = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status == 200) {
                        return;
                    }
                } catch (java.io.IOException e) {
                    status = -1; // not listening yet
                }
                Thread.sleep(1000); // the probe's period
            }
        }
        throw new AssertionError("startup probe " + uri + " did not pass in " + seconds + " s (last status " + status + ")");
    }
}
