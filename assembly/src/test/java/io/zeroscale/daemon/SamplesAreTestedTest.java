package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every sample under samples/ is tested by the README's test command ({@code ./scripts/test}, a
 * {@code mvn verify} of the root reactor), so none can rot unnoticed: a sample is either a module of
 * the root pom with tests of its own, or a test of this module (which builds the distribution it
 * runs in) names its directory.
 */
class SamplesAreTestedTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void everySampleIsAReactorModuleWithTestsOrIsRunByAnAssemblyTest() throws IOException {
        String rootPom = Files.readString(ROOT.resolve("pom.xml"));
        String assemblyTests = assemblyTestSources();
        List<String> untested = new ArrayList<>();
        List<Path> samples;
        try (Stream<Path> dirs = Files.list(ROOT.resolve("samples"))) {
            samples = dirs.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(samples).as("the samples/ directories").isNotEmpty();
        for (Path sample : samples) {
            String name = sample.getFileName().toString();
            boolean module = rootPom.contains("<module>samples/" + name + "</module>") && hasTests(sample);
            boolean runByAssembly = assemblyTests.contains("samples/" + name) || assemblyTests.contains("\"" + name + "/");
            if (!module && !runByAssembly) {
                untested.add("samples/" + name);
            }
        }
        assertThat(untested)
                .as("samples no test runs: add the sample as a <module> of the root pom with a *Test or *IT of its own, or"
                        + " run it from an assembly test that names samples/<name>")
                .isEmpty();
    }

    private static boolean hasTests(Path sample) throws IOException {
        Path tests = sample.resolve("src/test/java");
        if (!Files.isDirectory(tests)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(tests)) {
            return files.anyMatch(f -> f.getFileName().toString().matches(".*(Test|IT)\\.java"));
        }
    }

    private static String assemblyTestSources() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (!file.getFileName().toString().equals("SamplesAreTestedTest.java")) {
                    all.append(Files.readString(file));
                }
            }
        }
        return all.toString();
    }
}
