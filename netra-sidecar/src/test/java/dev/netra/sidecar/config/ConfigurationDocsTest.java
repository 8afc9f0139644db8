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
