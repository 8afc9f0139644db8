package dev.netra.sidecar.metrics;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every metric the sidecar and the injector register is in docs/metrics.md, so the docs cannot drift. */
class MetricsDocsTest {
    private static final Pattern NAME = Pattern.compile("\\.name\\(\"(netra_[a-z0-9_]+)\"\\)");

    @Test
    void everyMetricIsDocumented() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String module : new String[] {"netra-sidecar", "netra-inject"}) {
            try (Stream<Path> s = Files.walk(Path.of("..", module, "src", "main", "java"))) {
                for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher m = NAME.matcher(Files.readString(p));
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                }
            }
        }
        assertTrue(names.size() > 20, "metrics found in the code: " + names);
        String docs = Files.readString(Path.of("..", "docs", "metrics.md"));
        Set<String> missing = new TreeSet<>();
        for (String n : names) {
            // a table row may name a family: `netra_x_opened_total` / `_closed_total`
            String[] parts = n.split("_");
            String last = "`_" + parts[parts.length - 1] + "`";
            String lastTwo = "`_" + parts[parts.length - 2] + "_" + parts[parts.length - 1] + "`";
            if (!docs.contains("`" + n + "`") && !docs.contains("`" + n + "{") && !docs.contains(last) && !docs.contains(lastTwo)) {
                missing.add(n);
            }
        }
        assertEquals(Set.of(), missing, "registered but not in docs/metrics.md");
    }
}
