package dev.arbiter.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The config package holds primitives only: features depend on it for their records and binders, so it may name no
 * other Arbiter package (by import or in full), or the features and config would form a cycle.
 */
class ConfigPackageDependenciesTest {
    private static final Pattern OTHER_PACKAGE = Pattern.compile("\\bdev\\.arbiter\\.(?!config\\b)[a-z]\\w*");

    @Test
    void configPackage_namesNoOtherArbiterPackage() throws IOException {
        Path dir = Path.of("src/main/java/dev/arbiter/config");
        var found = new ArrayList<String>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            var lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                var m = OTHER_PACKAGE.matcher(lines.get(i));
                if (m.find()) found.add(f.getFileName() + ":" + (i + 1) + " " + m.group());
            }
        }
        assertThat(found).as("references from dev.arbiter.config to other Arbiter packages").isEmpty();
    }
}
