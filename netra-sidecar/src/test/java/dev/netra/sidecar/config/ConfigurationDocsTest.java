package dev.netra.sidecar.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every variable the sidecar and netra-init read is in the configuration reference, so the docs cannot drift. */
class ConfigurationDocsTest {
    static final String BEGIN = "<!-- generated from netra-sidecar's config/Settings.java: edit there,"
            + " then mvn test -Dtest=ConfigurationDocsTest -Dnetra.docs.update=true -->";
    static final String END = "<!-- end of the generated table -->";

    /** The sidecar's table in docs/configuration.md is the configuration table itself, row for row. */
    @Test
    void theSidecarsTableIsGeneratedFromTheSettings() throws IOException {
        Path docs = ROOT.resolve("docs/configuration.md");
        String text = Files.readString(docs);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "docs/configuration.md has the generated table's markers");
        StringBuilder table = new StringBuilder(BEGIN).append("\n| variable | default | meaning |\n|---|---|---|\n");
        for (Setting<?> s : Settings.ALL) {
            table.append(s.docRow()).append('\n');
        }
        String generated = table.toString();
        String current = text.substring(begin, end);
        if (Boolean.getBoolean("netra.docs.update")) {
            Files.writeString(docs, text.substring(0, begin) + generated + text.substring(end));
            return;
        }
        assertEquals(generated, current, "docs/configuration.md's sidecar table differs from config/Settings.java");
    }

    private static final Pattern VARIABLE = Pattern.compile("\"((?:NETRA|OTEL|JAEGER|HTTP|POD|NODE|INBOUND|OUTBOUND)_[A-Z0-9_]+)\"");
    private static final Path ROOT = Path.of("..");

    private static Set<String> variablesIn(List<Path> sources) throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path p : sources) {
            Matcher m = VARIABLE.matcher(Files.readString(p));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void everyVariableReadIsDocumented() throws IOException {
        List<Path> sources;
        try (Stream<Path> s = Files.list(ROOT.resolve("netra-sidecar/src/main/java/dev/netra/sidecar/config"))) {
            sources = new java.util.ArrayList<>(s.filter(p -> p.toString().endsWith(".java")).toList());
        }
        sources.add(ROOT.resolve("netra-init/src/main/java/dev/netra/init/InitConfig.java"));
        Set<String> read = variablesIn(sources);
        assertTrue(read.size() > 60, "variables found in the config code: " + read);
        String docs = Files.readString(ROOT.resolve("docs/configuration.md")) + Files.readString(ROOT.resolve("docs/tracing.md"))
                + Files.readString(ROOT.resolve("docs/routing.md")) + Files.readString(ROOT.resolve("docs/operations.md"));
        Set<String> missing = new TreeSet<>();
        for (String v : read) {
            if (!docs.contains("`" + v + "`") && !docs.contains("`" + v + "=") && !docs.contains("`" + v + " ")) {
                missing.add(v);
            }
        }
        assertEquals(Set.of(), missing, "variables read but not in docs/configuration.md (or tracing, routing, operations)");
    }
}
