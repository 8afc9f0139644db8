package dev.netra.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adds netra to a pod template and takes it away again. What netra adds (two containers, a
 * volume) is built with fabric8's model; the user's template is edited in place as a tree, so
 * fields the model does not know, and their order, are kept. What netra added is recorded in the
 * template's {@value Annotations#STATUS} annotation: uninjecting removes exactly that, and
 * injecting an injected template gives the same template again.
 */
public final class Injector {
    static final String INIT = "netra-init";
    static final String SIDECAR = "netra";
    static final String VOLUME = "netra-tmp";
    static final int SIDECAR_PORT = 14956;
    static final int ADMIN_PORT = 14958;
    static final long UID = 1337;
    private static final Map<String, String> SCRAPE = Map.of("prometheus.io/scrape", "true",
            "prometheus.io/port", Integer.toString(ADMIN_PORT), "prometheus.io/path", "/metrics");

    /** The images netra-init and the sidecar run. */
    public record Images(String init, String sidecar) {
    }

    /**
     * NATIVE: the sidecar is an init container with {@code restartPolicy: Always} (Kubernetes
     * 1.29+): the app starts once its startup probe passes, and it stops after the app. CLASSIC:
     * the sidecar is the first regular container, for older clusters.
     */
    public enum Mode { NATIVE, CLASSIC }

    private final Images images;
    private final Mode mode;
    private final JsonMapper json = JsonMapper.builder().build();

    public Injector(Images images, Mode mode) {
        this.images = images;
        this.mode = mode;
    }

    /**
     * Adds netra to {@code template} (metadata and spec of a pod), replacing what an earlier
     * injection added.
     *
     * @param object       the workload, as errors name it ({@code deployment/shop})
     * @param workloadName the default service name of the pod's spans
     * @throws InjectException for a bad {@code netra.io/*} annotation
     */
    public void inject(ObjectNode template, String object, String workloadName) {
        uninject(template);
        List<String> created = new ArrayList<>();
        if (!template.has("metadata")) {
            created.add("metadata");
        }
        ObjectNode metadata = child(template, "metadata");
        ObjectNode spec = child(template, "spec");
        Map<String, String> annotations = strings(metadata.get("annotations"));
        Annotations a = Annotations.parse(annotations, object, workloadName);

        ArrayNode inits = array(spec, "initContainers", created);
        List<JsonNode> first = new ArrayList<>(List.of(tree(initContainer(a))));
        long podGrace = spec.path("terminationGracePeriodSeconds").asLong(30);
        if (mode == Mode.NATIVE) {
            first.add(tree(sidecar(a, true, podGrace)));
        } else {
            array(spec, "containers", created).insert(0, tree(sidecar(a, false, podGrace)));
        }
        for (int i = first.size() - 1; i >= 0; i--) {
            inits.insert(0, first.get(i)); // before the app's own init containers: their calls are meshed too
        }
        array(spec, "volumes", created).add(tree(new VolumeBuilder().withName(VOLUME)
                .withNewEmptyDir().withSizeLimit(new Quantity("64Mi")).endEmptyDir().build()));

        boolean hadMetadataAnnotations = metadata.has("annotations");
        ObjectNode notes = child(metadata, "annotations");
        if (!hadMetadataAnnotations) {
            created.add("annotations");
        }
        List<String> added = new ArrayList<>();
        // the app's own scrape annotations stay: netra's metrics are then found through the pod port
        if (annotations.keySet().stream().noneMatch(k -> k.startsWith("prometheus.io/"))) {
            SCRAPE.keySet().stream().sorted().forEach(k -> {
                notes.put(k, SCRAPE.get(k));
                added.add(k);
            });
        }
        ObjectNode status = json.createObjectNode();
        status.set("created", json.valueToTree(created));
        status.set("annotations", json.valueToTree(added));
        notes.put(Annotations.STATUS, json.writeValueAsString(status));
    }

    /** Takes away what {@link #inject} added; a template without netra is left as it is. */
    public void uninject(ObjectNode template) {
        JsonNode metadata = template.get("metadata");
        JsonNode notes = metadata == null ? null : metadata.get("annotations");
        if (notes == null || !notes.has(Annotations.STATUS)) {
            return;
        }
        JsonNode status = json.readTree(notes.get(Annotations.STATUS).asString());
        List<String> created = new ArrayList<>();
        status.get("created").forEach(n -> created.add(n.asString()));
        ObjectNode annotations = (ObjectNode) notes;
        status.get("annotations").forEach(n -> annotations.remove(n.asString()));
        annotations.remove(Annotations.STATUS);
        ObjectNode spec = (ObjectNode) template.get("spec");
        removeNamed(spec, "initContainers", INIT, created);
        removeNamed(spec, "initContainers", SIDECAR, created);
        removeNamed(spec, "containers", SIDECAR, created);
        removeNamed(spec, "volumes", VOLUME, created);
        if (created.contains("annotations") && annotations.isEmpty()) {
            ((ObjectNode) metadata).remove("annotations");
        }
        if (created.contains("metadata") && metadata.isEmpty()) {
            template.remove("metadata");
        }
    }

    /** Who else meshes this template (Linkerd, Istio, netramesh), or null. */
    static String meshedBy(ObjectNode template) {
        JsonNode metadata = template.get("metadata");
        Map<String, String> annotations = strings(metadata == null ? null : metadata.get("annotations"));
        Map<String, String> labels = strings(metadata == null ? null : metadata.get("labels"));
        if (annotations.containsKey("linkerd.io/proxy-version") || "enabled".equals(annotations.get("linkerd.io/inject"))) {
            return "Linkerd (annotation linkerd.io/inject or linkerd.io/proxy-version)";
        }
        if (annotations.containsKey("sidecar.istio.io/status") || "true".equals(labels.get("sidecar.istio.io/inject"))
                || "true".equals(annotations.get("sidecar.istio.io/inject"))) {
            return "Istio (sidecar.istio.io/inject or sidecar.istio.io/status)";
        }
        JsonNode spec = template.get("spec");
        for (String list : List.of("containers", "initContainers")) {
            JsonNode containers = spec == null ? null : spec.get(list);
            if (containers == null) {
                continue;
            }
            for (JsonNode c : containers) {
                String name = c.path("name").asString("");
                String image = c.path("image").asString("");
                if (name.equals("linkerd-proxy")) {
                    return "Linkerd (container linkerd-proxy)";
                }
                if (name.equals("istio-proxy")) {
                    return "Istio (container istio-proxy)";
                }
                if (name.contains("netramesh") || image.contains("netramesh")) {
                    return "netramesh (container " + name + ", image " + image + ")";
                }
            }
        }
        return null;
    }

    private Container initContainer(Annotations a) {
        List<EnvVar> env = new ArrayList<>();
        env.add(env("NETRA_SIDECAR_PORT", Integer.toString(SIDECAR_PORT)));
        env.add(env("NETRA_SIDECAR_USER_ID", Long.toString(UID)));
        env.add(env("NETRA_SIDECAR_GROUP_ID", Long.toString(UID)));
        env.add(env("INBOUND_INTERCEPT_PORTS", a.inboundPorts()));
        env.add(env("OUTBOUND_INTERCEPT_PORTS", a.outboundPorts()));
        optional(env, "NETRA_INBOUND_EXCLUDE_PORTS", a.excludeInboundPorts());
        optional(env, "NETRA_OUTBOUND_EXCLUDE_PORTS", a.excludeOutboundPorts());
        optional(env, "NETRA_OUTBOUND_EXCLUDE_CIDRS", a.excludeOutboundCidrs());
        return new ContainerBuilder().withName(INIT).withImage(images.init()).withEnv(env)
                .withNewSecurityContext().withRunAsUser(0L).withRunAsNonRoot(false).withAllowPrivilegeEscalation(false)
                // NET_ADMIN writes the rules; NET_RAW reads legacy iptables tables where a host has them
                .withNewCapabilities().withDrop("ALL").withAdd("NET_ADMIN", "NET_RAW").endCapabilities()
                .endSecurityContext()
                .withResources(new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("10m")).addToRequests("memory", new Quantity("32Mi"))
                        .addToLimits("memory", new Quantity("64Mi")).build())
                .build();
    }

    /**
     * @param podGrace the pod's terminationGracePeriodSeconds: netra drains for 5 s less, so it
     *                 resets what is left and exits before the kubelet kills it
     */
    private Container sidecar(Annotations a, boolean nativeSidecar, long podGrace) {
        List<EnvVar> env = new ArrayList<>();
        env.add(fieldRef("POD_NAME", "metadata.name"));
        env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
        env.add(fieldRef("NODE_NAME", "spec.nodeName"));
        env.add(env("NETRA_SHUTDOWN_GRACE_SECONDS", Long.toString(Math.max(1, podGrace - 5))));
        optional(env, "NETRA_HTTP_PORTS", a.httpPorts());
        optional(env, "NETRA_HTTP2_PORTS", a.http2Ports());
        optional(env, "OTEL_EXPORTER_OTLP_ENDPOINT", a.tracingEndpoint());
        if (a.sampling() != null) {
            env.add(env("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"));
            env.add(env("OTEL_TRACES_SAMPLER_ARG", a.sampling()));
        }
        ContainerBuilder b = new ContainerBuilder().withName(SIDECAR).withImage(images.sidecar())
                .withArgs("--service-name", a.serviceName()).withEnv(env)
                .addNewPort().withName("netra-metrics").withContainerPort(ADMIN_PORT).endPort()
                // the app starts once this passes (native sidecar): none of its first connections is refused
                .withStartupProbe(probe("/ready", 1, 30))
                .withReadinessProbe(probe("/ready", 2, 3))
                .withLivenessProbe(probe("/live", 10, 3))
                .addNewVolumeMount().withName(VOLUME).withMountPath("/tmp").endVolumeMount()
                .withNewSecurityContext().withRunAsUser(UID).withRunAsGroup(UID).withRunAsNonRoot(true)
                .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .withResources(resources(a.resources()));
        if (nativeSidecar) {
            b.withRestartPolicy("Always");
        }
        return b.build();
    }

    /**
     * docs/performance-log.md: ~61 MB idle, ~90 MB at 256 busy connections; the limit leaves
     * room for the heap cap at the default connection limit (docs/operations.md).
     */
    private static ResourceRequirements resources(Map<String, Quantity> overrides) {
        Map<String, Quantity> requests = new LinkedHashMap<>();
        Map<String, Quantity> limits = new LinkedHashMap<>();
        requests.put("cpu", overrides.getOrDefault("proxy-cpu-request", new Quantity("50m")));
        requests.put("memory", overrides.getOrDefault("proxy-memory-request", new Quantity("96Mi")));
        if (overrides.containsKey("proxy-cpu-limit")) {
            limits.put("cpu", overrides.get("proxy-cpu-limit"));
        }
        limits.put("memory", overrides.getOrDefault("proxy-memory-limit", new Quantity("256Mi")));
        return new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
    }

    private static Probe probe(String path, int period, int failures) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(new IntOrString(ADMIN_PORT)).endHttpGet()
                .withPeriodSeconds(period).withFailureThreshold(failures).build();
    }

    private static EnvVar env(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static EnvVar fieldRef(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path)
                .endFieldRef().endValueFrom().build();
    }

    private static void optional(List<EnvVar> env, String name, String value) {
        if (value != null) {
            env.add(env(name, value));
        }
    }

    private JsonNode tree(Object model) {
        return prune(json.valueToTree(model));
    }

    /** Drops the empty lists and objects the model writes for fields never set; a name goes first, as people write it. */
    private static JsonNode prune(JsonNode node) {
        if (node instanceof ObjectNode o) {
            JsonNode name = o.get("name");
            if (name != null && !o.propertyNames().iterator().next().equals("name")) {
                ObjectNode rest = o.deepCopy();
                rest.remove("name");
                o.removeAll();
                o.set("name", name);
                o.setAll(rest);
            }
            List<String> empty = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                prune(e.getValue());
                if ((e.getValue().isArray() || e.getValue().isObject()) && e.getValue().isEmpty()) {
                    empty.add(e.getKey());
                }
            }
            empty.forEach(o::remove);
        } else if (node instanceof ArrayNode a) {
            a.forEach(Injector::prune);
        }
        return node;
    }

    private static ObjectNode child(ObjectNode parent, String name) {
        JsonNode n = parent.get(name);
        if (n instanceof ObjectNode o) {
            return o;
        }
        return parent.putObject(name);
    }

    private static ArrayNode array(ObjectNode parent, String name, List<String> created) {
        JsonNode n = parent.get(name);
        if (n instanceof ArrayNode a) {
            return a;
        }
        created.add(name);
        return parent.putArray(name);
    }

    private static void removeNamed(ObjectNode spec, String list, String name, List<String> created) {
        if (!(spec.get(list) instanceof ArrayNode a)) {
            return;
        }
        for (int i = a.size() - 1; i >= 0; i--) {
            if (name.equals(a.get(i).path("name").asString(""))) {
                a.remove(i);
            }
        }
        if (a.isEmpty() && created.contains(list)) {
            spec.remove(list);
        }
    }

    static Map<String, String> strings(JsonNode node) {
        Map<String, String> m = new LinkedHashMap<>();
        if (node != null && node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                m.put(e.getKey(), e.getValue().isString() ? e.getValue().asString() : e.getValue().toString());
            }
        }
        return m;
    }
}
