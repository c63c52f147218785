package io.zeroscale.daemon;

import io.zeroscale.spi.Plugin;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/** Packs a test plugin class into a jar for a plugins/ folder, as a user would drop one in. */
final class PluginJars {
    private PluginJars() {}

    /**
     * Writes {@code jar} with {@code pluginClass}, its nested and anonymous classes, and the
     * ServiceLoader entry naming it.
     */
    static Path write(Path jar, Class<? extends Plugin> pluginClass) throws IOException {
        Path classFile;
        try {
            classFile = Path.of(pluginClass.getResource(pluginClass.getSimpleName() + ".class").toURI());
        } catch (URISyntaxException e) {
            throw new IOException("cannot locate the class file of " + pluginClass, e);
        }
        String prefix = pluginClass.getPackageName().replace('.', '/') + "/";
        List<Path> classes;
        try (Stream<Path> siblings = Files.list(classFile.getParent())) {
            String simple = pluginClass.getSimpleName();
            classes = siblings.filter(file -> {
                String name = file.getFileName().toString();
                return name.equals(simple + ".class") || name.startsWith(simple + "$");
            }).sorted().toList();
        }
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            out.putNextEntry(new JarEntry("META-INF/services/" + Plugin.class.getName()));
            out.write((pluginClass.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            for (Path classPath : classes) {
                out.putNextEntry(new JarEntry(prefix + classPath.getFileName()));
                Files.copy(classPath, out);
                out.closeEntry();
            }
        }
        return jar;
    }
}
