package dev.netra.inject;

import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manifests in k8s/: each parses into its fabric8 model with no unknown field, and the example is what inject writes. */
class ManifestsInRepositoryTest {
    private static final Path K8S = Path.of("..", "k8s");
    private static final Map<String, Class<? extends KubernetesResource>> KINDS = Map.of(
            "Namespace", Namespace.class, "ServiceAccount", ServiceAccount.class, "Service", Service.class,
            "Deployment", Deployment.class, "PodDisruptionBudget", PodDisruptionBudget.class,
            "MutatingWebhookConfiguration", MutatingWebhookConfiguration.class);
    /** Strict: a misspelled field fails instead of landing in the model's bag of extras. */
    private static final YAMLMapper YAML = YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private static List<JsonNode> docs(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readValues(YAML.createParser(Files.readString(file)), JsonNode.class)) {
            it.forEachRemaining(docs::add);
        }
        return docs;
    }

    @Test
    void everyManifestParsesIntoItsModel() throws IOException {
        Set<String> seen = new HashSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(K8S)) {
            files = s.filter(f -> f.toString().endsWith(".yaml") && !f.getFileName().toString().equals("kustomization.yaml")).toList();
        }
        assertTrue(files.size() >= 9, files.toString());
        for (Path f : files) {
            for (JsonNode doc : docs(f)) {
                String kind = doc.path("kind").asString();
                Class<? extends KubernetesResource> type = KINDS.get(kind);
                assertNotNull(type, f + ": a kind this test does not know: " + kind);
                KubernetesResource model = YAML.treeToValue(doc, type);
                assertNotNull(model, f + " " + kind);
                seen.add(kind);
            }
        }
        assertEquals(KINDS.keySet(), seen, "every kind the install needs is there");
    }

    @Test
    void everyResourceAKustomizationListsExists() throws IOException {
        for (Path k : List.of(K8S.resolve("kustomization.yaml"), K8S.resolve("example/kustomization.yaml"))) {
            JsonNode kustomization = docs(k).getFirst();
            assertEquals("Kustomization", kustomization.path("kind").asString());
            for (JsonNode r : kustomization.path("resources")) {
                assertTrue(Files.isRegularFile(k.getParent().resolve(r.asString())), k + " lists " + r);
            }
        }
    }

    @Test
    void theInjectedExampleIsWhatInjectWritesForTheApp() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Manifests(new Injector(new Injector.Images("netra-init:dev", "netra-sidecar:dev"), Injector.Mode.NATIVE), false,
                w -> { throw new AssertionError(w); })
                .process(new StringReader(Files.readString(K8S.resolve("example/app.yaml"))), new PrintStream(out, true, StandardCharsets.UTF_8));
        String injected = out.toString(StandardCharsets.UTF_8);
        String example = Files.readString(K8S.resolve("example.yaml"));
        String header = example.substring(0, example.indexOf("apiVersion:"));
        if (Boolean.getBoolean("netra.golden.update")) {
            Files.writeString(K8S.resolve("example.yaml"), header + injected);
        }
        assertEquals(header + injected, example, "k8s/example.yaml: bin/netra inject -f k8s/example/app.yaml (with its comment header)");
    }
}
