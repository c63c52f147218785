package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.daemon.Plugins;
import java.nio.file.Files;
import java.nio.file.Path;

/** The distribution the package phase built (the assembly's unpacked dir format), for the ITs. */
final class Distribution {
    private Distribution() {}

    /** {@code zeroscale-<version>/}: bin/, lib/, plugins/, etc/, samples/. */
    static Path home() {
        String configured = System.getProperty("zeroscale.distribution");
        assertThat(configured).as("system property zeroscale.distribution (set by failsafe in assembly/pom.xml)").isNotBlank();
        Path home = Path.of(configured);
        assertThat(home.resolve("bin/zeroscale")).as("the distribution's launcher; build it with: mvn -B -ntp -pl assembly -am package")
                .isExecutable();
        return home;
    }

    static Path plugins() {
        return home().resolve("plugins");
    }

    /** The plugins of the distribution's plugins/ folder, each in its own class loader, as the daemon loads them. */
    static Plugins loadPlugins() {
        return Plugins.load(plugins());
    }

    /** A sample of the repository, e.g. {@code docker/zeroscale.yaml}. */
    static Path sample(String file) {
        Path path = Path.of(System.getProperty("zeroscale.samples", "../samples")).resolve(file);
        assertThat(path).as("the sample " + file).exists();
        return path;
    }

    static boolean isJar(Path file) {
        return Files.isRegularFile(file) && file.getFileName().toString().endsWith(".jar");
    }
}
