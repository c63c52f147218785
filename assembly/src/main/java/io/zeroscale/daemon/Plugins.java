package io.zeroscale.daemon;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins the daemon found: those on its own class path (ServiceLoader), plus, in the
 * distribution, each {@code plugins/<name>/} folder's jars in a class loader of their own, so a
 * user installs a plugin by dropping its jars into a folder. The built-ins come with the engine
 * itself: the {@code process} orchestrator and the automata {@code zero-to-n}, {@code
 * target-tracking}, {@code threshold}, {@code step}, {@code schedule}, {@code latency-band} and
 * {@code custom}.
 */
public final class Plugins implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Plugins.class);

    /** One plugin and where it came from. */
    public record Found(Plugin plugin, String origin) {}

    private final List<Found> found;
    private final List<URLClassLoader> loaders;

    private Plugins(List<Found> found, List<URLClassLoader> loaders) {
        this.found = List.copyOf(found);
        this.loaders = List.copyOf(loaders);
    }

    /**
     * Finds the plugins.
     *
     * @param directory the {@code plugins/} folder, or null to use the class path only
     * @throws ZeroscaleException when a plugin folder cannot be read or a plugin fails to load
     */
    public static Plugins load(@Nullable Path directory) {
        ClassLoader daemonLoader = Plugins.class.getClassLoader();
        List<Found> found = new ArrayList<>();
        List<URLClassLoader> loaders = new ArrayList<>();
        ServiceLoader.load(Plugin.class, daemonLoader).forEach(plugin -> found.add(new Found(plugin, "class path")));
        if (directory != null && Files.isDirectory(directory)) {
            try (Stream<Path> folders = Files.list(directory)) {
                for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                    URL[] jars = jars(folder);
                    if (jars.length == 0) {
                        log.warn("plugin folder {} has no jars; ignored", folder);
                        continue;
                    }
                    PluginClassLoader loader = new PluginClassLoader(folder.getFileName().toString(), jars, daemonLoader);
                    loaders.add(loader);
                    int before = found.size();
                    try {
                        ServiceLoader.load(Plugin.class, loader).forEach(plugin -> found.add(new Found(plugin, folder.toString())));
                    } catch (java.util.ServiceConfigurationError e) {
                        throw new ZeroscaleException(CONFIG_INVALID, folder + ": a plugin failed to load (" + e.getMessage()
                                + "); check that all its jars are in the folder and it was built for this Zeroscale version", e);
                    }
                    if (found.size() == before) {
                        log.warn("plugin folder {} has no META-INF/services/{} entry; nothing loaded", folder, Plugin.class.getName());
                    }
                }
            } catch (IOException e) {
                throw new ZeroscaleException(CONFIG_INVALID, directory + ": cannot read the plugins folder (" + e + ")", e);
            }
        }
        found.forEach(entry -> log.info("plugin {} from {}", entry.plugin().getClass().getName(), entry.origin()));
        return new Plugins(found, loaders);
    }

    private static URL[] jars(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<URL> urls = new ArrayList<>();
            for (Path jar : files.filter(file -> file.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                try {
                    urls.add(jar.toUri().toURL());
                } catch (MalformedURLException e) {
                    throw new IOException("bad jar path " + jar, e);
                }
            }
            return urls.toArray(URL[]::new);
        }
    }

    /** Every plugin found, class path first. */
    public List<Found> found() {
        return found;
    }

    /** The plugin objects, for the engine. */
    public List<Plugin> plugins() {
        return found.stream().map(Found::plugin).toList();
    }

    @Override
    public void close() {
        for (URLClassLoader loader : loaders) {
            try {
                loader.close();
            } catch (IOException e) {
                log.warn("closing the class loader {} failed", loader.getName(), e);
            }
        }
    }
}
