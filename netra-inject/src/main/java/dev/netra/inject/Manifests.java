package dev.netra.inject;

import tools.jackson.core.JsonParser;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

import java.io.PrintStream;
import java.io.Reader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Multi-document YAML in and out: every workload kind gets its pod template injected (or
 * uninjected), anything else passes through as it came (as YAML: comments are not kept).
 */
public final class Manifests {
    private final Injector injector;
    private final boolean uninject;
    private final Consumer<String> warnings;
    private final YAMLMapper yaml = YAMLMapper.builder()
            .enable(YAMLWriteFeature.MINIMIZE_QUOTES)
            // "14958" stays a string: Kubernetes refuses a number where it wants a string (env values, annotations)
            .enable(YAMLWriteFeature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .disable(YAMLWriteFeature.SPLIT_LINES)
            .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
            .build();

    public Manifests(Injector injector, boolean uninject, Consumer<String> warnings) {
        this.injector = injector;
        this.uninject = uninject;
        this.warnings = warnings;
    }

    /** Reads every document of {@code in}, writes them changed to {@code out}, separated by {@code ---}. */
    public void process(Reader in, PrintStream out) {
        List<JsonNode> docs = new ArrayList<>();
        try (JsonParser parser = yaml.createParser(in);
             MappingIterator<JsonNode> it = yaml.readValues(parser, JsonNode.class)) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        for (JsonNode doc : docs) {
            if (doc instanceof ObjectNode o) {
                apply(o);
            }
        }
        StringWriter w = new StringWriter();
        for (int i = 0; i < docs.size(); i++) {
            if (i > 0) {
                w.write("---\n");
            }
            w.write(yaml.writeValueAsString(docs.get(i)));
        }
        out.print(w);
        out.flush();
    }

    /** Injects (or uninjects) one object in place; a List's items each. */
    void apply(ObjectNode doc) {
        String kind = doc.path("kind").asString("");
        if (kind.equals("List") && doc.get("items") != null) {
            doc.get("items").forEach(item -> {
                if (item instanceof ObjectNode o) {
                    apply(o);
                }
            });
            return;
        }
        ObjectNode template = template(doc, kind);
        if (template == null) {
            return; // not a workload: as it came
        }
        String name = name(doc);
        String object = kind.toLowerCase(Locale.ROOT) + "/" + name;
        if (uninject) {
            injector.uninject(template);
            return;
        }
        if (Annotations.disabled(Injector.strings(template.path("metadata").get("annotations")), object)) {
            return;
        }
        String other = Injector.meshedBy(template);
        if (other != null) {
            warnings.accept(object + " is already meshed by " + other + ": not injected");
            return;
        }
        injector.inject(template, object, name);
    }

    /** The pod template of a workload kind (the object itself for a Pod), or null for other kinds. */
    static ObjectNode template(ObjectNode doc, String kind) {
        JsonNode t = switch (kind) {
            case "Pod" -> doc;
            case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController" ->
                    doc.path("spec").get("template");
            case "CronJob" -> doc.path("spec").path("jobTemplate").path("spec").get("template");
            default -> null;
        };
        if (t == null || !(t instanceof ObjectNode o)) {
            return null;
        }
        return o;
    }

    private static String name(ObjectNode doc) {
        JsonNode metadata = doc.path("metadata");
        String name = metadata.path("name").asString("");
        if (name.isEmpty()) {
            name = metadata.path("generateName").asString("").replaceAll("-+$", "");
        }
        return name;
    }
}
