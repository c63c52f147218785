package io.zeroscale.daemon;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The class loader of one {@code plugins/<name>/} folder. The SPI (and the logging and
 * telemetry APIs a plugin reports through) comes from the daemon, so a plugin's objects are the
 * daemon's types; everything else is looked up in the plugin's own jars first, so a plugin can
 * bring its own versions of libraries the daemon also uses.
 */
final class PluginClassLoader extends URLClassLoader {
    /** Packages always taken from the daemon: a plugin must not bring its own copy of these. */
    static final List<String> SHARED_PACKAGES = List.of(
            "io.zeroscale.spi.", "org.jspecify.", "org.slf4j.", "io.opentelemetry.api.", "io.opentelemetry.context.");

    private final ClassLoader daemonLoader;

    PluginClassLoader(String name, URL[] jars, ClassLoader daemonLoader) {
        // The platform loader as parent: the JDK's classes, nothing of the daemon's class path.
        super("plugin-" + name, jars, ClassLoader.getPlatformClassLoader());
        this.daemonLoader = daemonLoader;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> loaded = findLoadedClass(name);
            if (loaded == null) {
                if (isShared(name)) {
                    loaded = daemonLoader.loadClass(name);
                } else {
                    try {
                        loaded = findClass(name);
                    } catch (ClassNotFoundException notInPlugin) {
                        loaded = getParent().loadClass(name);
                    }
                }
            }
            if (resolve) {
                resolveClass(loaded);
            }
            return loaded;
        }
    }

    @Override
    public URL getResource(String name) {
        if (isShared(name.replace('/', '.'))) {
            return daemonLoader.getResource(name);
        }
        URL own = findResource(name);
        return own != null ? own : getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (isShared(name.replace('/', '.'))) {
            return daemonLoader.getResources(name);
        }
        // Only the plugin's own files: ServiceLoader must not find the daemon's plugins again here.
        List<URL> urls = Collections.list(findResources(name));
        urls.addAll(Collections.list(getParent().getResources(name)));
        return Collections.enumeration(urls);
    }

    private static boolean isShared(String name) {
        for (String prefix : SHARED_PACKAGES) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
