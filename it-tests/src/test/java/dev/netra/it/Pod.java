package dev.netra.it;

import com.github.dockerjava.api.model.Capability;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes pod made of containers: the app (owner of the network namespace), netra-init
 * (NET_ADMIN, runs once before the sidecar) and the netra sidecar (uid 1337), the last two joined
 * to the app's namespace with {@code --network container:<app>} as kubelet does.
 */
final class Pod implements AutoCloseable {
    static final String TAG = System.getProperty("netra.image.tag", "dev");
    static final int ADMIN_PORT = 14958;

    final String name;
    final GenericContainer<?> app;
    GenericContainer<?> sidecar;
    String initLog = "";

    private Pod(String name, GenericContainer<?> app) {
        this.name = name;
        this.app = app;
    }

    /** A pod without netra: just the app, running the given testapp servers. */
    static Pod plain(Network network, String name, String... servers) {
        Pod pod = new Pod(name, app(network, name, servers));
        pod.app.start();
        return pod;
    }

    /** A pod without netra whose {@code port} is published to the test host. */
    static Pod plainPublishing(Network network, String name, int port, String... servers) {
        Pod pod = new Pod(name, app(network, name, servers).withExposedPorts(port));
        pod.app.start();
        return pod;
    }

    /** A pod with netra-init and the sidecar, both configured by {@code env}. */
    static Pod meshed(Network network, String name, Map<String, String> env, String... servers) {
        Pod pod = initialized(network, name, env, servers);
        // ready proxies at once; tests wait until spans and JVM metrics are up too
        pod.startSidecar(env, Wait.forLogMessage(".*tracing and JVM metrics up.*", 1));
        return pod;
    }

    /** A pod whose app runs and whose netra-init has written the rules; the sidecar is not started yet. */
    static Pod initialized(Network network, String name, Map<String, String> env, String... servers) {
        GenericContainer<?> app = app(network, name, servers).withExposedPorts(ADMIN_PORT);
        Pod pod = new Pod(name, app);
        app.start();
        pod.initLog = pod.runInit(env);
        return pod;
    }

    /**
     * The capabilities k8s/example.yaml gives netra-init (all others dropped): NET_ADMIN for the
     * rules, NET_RAW to read legacy iptables tables on hosts that have them.
     */
    static final Capability[] INIT_CAPABILITIES = {Capability.NET_ADMIN, Capability.NET_RAW};

    /** Runs netra-init in this pod with {@code capabilities} only; returns its log, or fails with it. */
    String runInit(Map<String, String> env, Capability... capabilities) {
        Capability[] caps = capabilities.length == 0 ? INIT_CAPABILITIES : capabilities;
        StringBuffer log = new StringBuffer(); // kept also when the container failed and is gone
        try (GenericContainer<?> init = new GenericContainer<>(DockerImageName.parse("netra-init:" + TAG))
                .withNetworkMode("container:" + app.getContainerId())
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withCapDrop(Capability.ALL).withCapAdd(caps))
                .withEnv(env)
                .withLogConsumer(frame -> log.append(frame.getUtf8String()))
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60)))) {
            try {
                init.start();
            } catch (RuntimeException e) {
                throw new IllegalStateException("netra-init failed: " + log, e);
            }
            return log.toString();
        }
    }

    /** Starts the sidecar in the pod's network namespace, returning once {@code until} is met. */
    void startSidecar(Map<String, String> env, org.testcontainers.containers.wait.strategy.WaitStrategy until) {
        startSidecar(env, until, cmd -> { });
    }

    /** Starts the sidecar with {@code modifier} applied to its container (a ulimit, say). */
    void startSidecar(Map<String, String> env, org.testcontainers.containers.wait.strategy.WaitStrategy until,
                      java.util.function.Consumer<com.github.dockerjava.api.command.CreateContainerCmd> modifier) {
        sidecar = new GenericContainer<>(DockerImageName.parse("netra-sidecar:" + TAG))
                .withNetworkMode("container:" + app.getContainerId())
                // as k8s/example.yaml: every capability dropped
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withCapDrop(Capability.ALL))
                .withCreateContainerCmdModifier(modifier)
                .withEnv(env)
                .withCommand("--service-name", name)
                .waitingFor(until.withStartupTimeout(Duration.ofSeconds(60)));
        sidecar.start();
    }

    private static GenericContainer<?> app(Network network, String name, String... servers) {
        List<String> cmd = new ArrayList<>();
        if (servers.length == 1 && servers[0].startsWith("corpus-server:")) {
            cmd.addAll(List.of("corpus-server", servers[0].substring(14)));
            servers = new String[0];
        } else {
            cmd.add("serve");
        }
        cmd.addAll(List.of(servers));
        return new GenericContainer<>(DockerImageName.parse("netra-testapp:" + TAG))
                .withNetwork(network)
                .withNetworkAliases(name)
                .withCommand(cmd.toArray(String[]::new))
                .waitingFor(Wait.forLogMessage(".*serving.*", 1).withStartupTimeout(Duration.ofSeconds(60)));
    }

    /** The pod's IP on the test network. */
    String ip() {
        return app.getContainerInfo().getNetworkSettings().getNetworks().values().iterator().next().getIpAddress();
    }

    /** Runs a testapp command inside the app container, i.e. in the pod's network namespace. */
    ExecResult run(String... testappArgs) {
        List<String> cmd = new ArrayList<>(List.of("/opt/netra/bin/netra", "testapp"));
        cmd.addAll(List.of(testappArgs));
        try {
            return app.execInContainer(cmd.toArray(String[]::new));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sidecar's /metrics, fetched from outside the pod through the app's published port. */
    String metrics() {
        return admin("/metrics").body();
    }

    HttpResponse<String> admin(String path) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            URI uri = URI.create("http://" + app.getHost() + ":" + app.getMappedPort(ADMIN_PORT) + path);
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sum of the samples of one metric whose labels contain every given {@code key="value"}. */
    double metric(String name, String... labels) {
        return Metrics.sum(metrics(), name, labels);
    }

    /** Open file descriptors and threads of the sidecar's JVM (pid 1 of its container). */
    long[] sidecarFdsAndThreads() {
        return new long[] {sidecarNumber("ls /proc/1/fd | wc -l"), sidecarNumber("grep Threads /proc/1/status | tr -dc 0-9")};
    }

    /** The sidecar's pooled platform threads alive now (kept 10 s after their last connection). */
    long sidecarPooledConnectionThreads() {
        // the kernel keeps 15 characters of a thread's name: netra-conn-platform-N -> netra-conn-plat
        return sidecarNumber("cat /proc/1/task/*/comm | grep -c '^netra-conn-plat' || true");
    }

    /** Resident memory of the sidecar's JVM, in KiB. */
    long sidecarRssKib() {
        return sidecarNumber("grep VmRSS /proc/1/status | tr -dc 0-9");
    }

    /** The number a shell command prints in the sidecar's container. */
    private long sidecarNumber(String command) {
        try {
            return Long.parseLong(sidecar.execInContainer("sh", "-c", command).getStdout().trim());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (sidecar != null) {
            sidecar.stop();
        }
        app.stop();
    }
}
