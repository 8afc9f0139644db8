package dev.netra.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code netra inject} against golden files (src/test/resources/golden: each {@code X.in.yaml}
 * with its {@code X.native.yaml} and {@code X.classic.yaml}; {@code -Dnetra.golden.update=true}
 * rewrites them, to be read before committing), and the properties every output must have.
 */
class InjectTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final YAMLMapper YAML = YAMLMapper.builder().build();
    private final List<String> warnings = new ArrayList<>();

    private String run(String input, Injector.Mode mode, boolean uninject) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Manifests(new Injector(new Injector.Images("netra-init:1.0", "netra-sidecar:1.0"), mode), uninject, warnings::add)
                .process(new StringReader(input), new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static List<JsonNode> docs(String yaml) {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readValues(YAML.createParser(yaml), JsonNode.class)) {
            it.forEachRemaining(docs::add);
        }
        return docs;
    }

    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource({"workloads, NATIVE", "workloads, CLASSIC", "annotations, NATIVE", "annotations, CLASSIC"})
    void matchesItsGoldenFile(String name, Injector.Mode mode) throws IOException {
        String in = Files.readString(GOLDEN.resolve(name + ".in.yaml"));
        String out = run(in, mode, false);
        Path golden = GOLDEN.resolve(name + "." + mode.name().toLowerCase(java.util.Locale.ROOT) + ".yaml");
        if (Boolean.getBoolean("netra.golden.update")) {
            Files.writeString(golden, out);
        }
        assertEquals(Files.readString(golden), out, golden + " (rewrite with -Dnetra.golden.update=true and review)");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"workloads", "annotations"})
    void injectingTwiceEqualsOnceAndUninjectGivesTheOriginalBack(String name) throws IOException {
        String in = Files.readString(GOLDEN.resolve(name + ".in.yaml"));
        for (Injector.Mode mode : Injector.Mode.values()) {
            String once = run(in, mode, false);
            assertEquals(once, run(once, mode, false), mode + ": injecting an injected manifest changes nothing");
            assertEquals(docs(in), docs(run(once, mode, true)), mode + ": uninject gives the original back");
            assertEquals(docs(in), docs(run(in, mode, true)), mode + ": uninjecting what has no netra changes nothing");
        }
        Injector.Mode other = Injector.Mode.CLASSIC;
        assertEquals(run(in, other, false), run(run(in, Injector.Mode.NATIVE, false), other, false),
                "re-injecting in the other mode replaces the first injection");
    }

    @Test
    void everyWorkloadKindGetsTheSidecarAndOtherKindsPassThrough() throws IOException {
        List<JsonNode> in = docs(Files.readString(GOLDEN.resolve("workloads.in.yaml")));
        List<JsonNode> out = docs(run(Files.readString(GOLDEN.resolve("workloads.in.yaml")), Injector.Mode.NATIVE, false));
        assertEquals(in.size(), out.size());
        for (int i = 0; i < in.size(); i++) {
            String kind = in.get(i).path("kind").asString();
            JsonNode template = Manifests.template((tools.jackson.databind.node.ObjectNode) out.get(i), kind);
            if (template == null) {
                assertEquals(in.get(i), out.get(i), kind + " passes through unchanged");
                continue;
            }
            PodTemplateSpec pod = YAML.treeToValue(template, PodTemplateSpec.class);
            List<Container> inits = pod.getSpec().getInitContainers();
            assertEquals("netra-init", inits.get(0).getName(), kind);
            assertEquals("netra", inits.get(1).getName(), kind + ": the native sidecar comes right after the rules");
            assertEquals("Always", inits.get(1).getRestartPolicy(), kind);
            assertEquals(List.of("NET_ADMIN", "NET_RAW"), inits.get(0).getSecurityContext().getCapabilities().getAdd());
            assertEquals(List.of("ALL"), inits.get(1).getSecurityContext().getCapabilities().getDrop());
            assertEquals(1337L, inits.get(1).getSecurityContext().getRunAsUser());
            assertTrue(inits.get(1).getSecurityContext().getReadOnlyRootFilesystem());
            assertEquals("/ready", inits.get(1).getStartupProbe().getHttpGet().getPath());
            assertTrue(pod.getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals("netra-tmp")));
            assertTrue(inits.get(1).getEnv().stream().anyMatch(e -> e.getName().equals("POD_NAMESPACE")
                    && e.getValueFrom().getFieldRef().getFieldPath().equals("metadata.namespace")));
        }
    }

    @Test
    void theServiceNameIsTheWorkloadsUnlessAnnotated() {
        String out = run("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: shop}
                spec:
                  template:
                    spec:
                      containers: [{name: app, image: shop:1}]
                """, Injector.Mode.NATIVE, false);
        Deployment d = YAML.readValue(out, Deployment.class);
        assertEquals(List.of("--service-name", "shop"), d.getSpec().getTemplate().getSpec().getInitContainers().get(1).getArgs());
    }

    @Test
    void theAppsOwnScrapeAnnotationsStay() {
        String out = run("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                  annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9090"}
                spec:
                  containers: [{name: app, image: a:1}]
                """, Injector.Mode.NATIVE, false);
        JsonNode annotations = docs(out).getFirst().path("metadata").path("annotations");
        assertEquals("9090", annotations.path("prometheus.io/port").asString());
        assertNull(annotations.get("prometheus.io/path"));
    }

    @Test
    void anAlreadyMeshedWorkloadIsReportedAndLeftAlone() throws IOException {
        String in = Files.readString(GOLDEN.resolve("annotations.in.yaml"));
        String out = run(in, Injector.Mode.NATIVE, false);
        assertEquals(List.of("deployment/on-linkerd is already meshed by Linkerd (annotation linkerd.io/inject or"
                + " linkerd.io/proxy-version): not injected"), warnings);
        assertEquals(docs(in).get(2), docs(out).get(2));
        assertEquals(docs(in).get(1), docs(out).get(1), "netra.io/inject: disabled");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "netra.io/http-ports | 80,http | netra.io/http-ports='80,http' is invalid: expected a comma list of ports 1-65535",
            "netra.io/inbound-ports | 0 | netra.io/inbound-ports='0' is invalid: expected * or a comma list of ports 1-65535",
            "netra.io/outbound-ports | 70000 | netra.io/outbound-ports='70000' is invalid",
            "netra.io/exclude-inbound-ports | * | netra.io/exclude-inbound-ports='*' is invalid",
            "netra.io/exclude-outbound-ports | 1,,2 | netra.io/exclude-outbound-ports='1,,2' is invalid",
            "netra.io/exclude-outbound-cidrs | 10.0.0.0/33 | netra.io/exclude-outbound-cidrs='10.0.0.0/33' is invalid",
            "netra.io/tracing-endpoint | otel:4318 | netra.io/tracing-endpoint='otel:4318' is invalid: expected an http:// or https:// URL",
            "netra.io/sampling | 1.5 | netra.io/sampling='1.5' is invalid: expected a share of traces from 0 to 1",
            "netra.io/service-name | Orders_API | netra.io/service-name='Orders_API' is invalid",
            "netra.io/proxy-memory-limit | lots | netra.io/proxy-memory-limit='lots' is invalid",
            "netra.io/proxy-cpu-request | -1 | netra.io/proxy-cpu-request='-1' is invalid",
            "netra.io/inject | maybe | netra.io/inject='maybe' is invalid: expected enabled or disabled",
            "netra.io/sidecar-image | x | unknown annotation netra.io/sidecar-image"})
    void aBadAnnotationNamesItselfTheObjectAndTheValue(String annotation, String value, String message) {
        String in = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: shop}
                spec:
                  template:
                    metadata:
                      annotations: {"%s": "%s"}
                    spec:
                      containers: [{name: app, image: shop:1}]
                """.formatted(annotation, value);
        InjectException e = assertThrows(InjectException.class, () -> run(in, Injector.Mode.NATIVE, false));
        assertTrue(e.getMessage().startsWith("deployment/shop: "), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
