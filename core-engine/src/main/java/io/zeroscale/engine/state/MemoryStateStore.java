package io.zeroscale.engine.state;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.state.StateStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link StateStore} in memory: what the engine uses under virtual time (tests, simulations)
 * unless given another. Sharing one instance between two engines built one after the other is how
 * a test restarts an engine without a disk. Thread-safe.
 */
public final class MemoryStateStore implements StateStore {
    private final Map<String, byte[]> documents = new ConcurrentHashMap<>();
    private final Map<String, byte[]> setAside = new ConcurrentHashMap<>();

    @Override
    public Optional<byte[]> read(String key) {
        return Optional.ofNullable(documents.get(requireNonNull(key, "key is null"))).map(byte[]::clone);
    }

    @Override
    public void write(String key, byte[] document) {
        documents.put(requireNonNull(key, "key is null"), document.clone());
    }

    @Override
    public void delete(String key) {
        documents.remove(requireNonNull(key, "key is null"));
    }

    @Override
    public List<String> keys(String prefix) {
        return documents.keySet().stream().filter(key -> key.startsWith(prefix)).toList();
    }

    @Override
    public String setAside(String key, String reason) {
        byte[] document = documents.remove(key);
        String where = "memory:" + key + ".corrupt";
        if (document != null) {
            setAside.put(where, document);
        }
        return where;
    }

    /** The documents set aside so far, by where {@link #setAside} said they went. */
    public Map<String, byte[]> setAside() {
        return Map.copyOf(setAside);
    }

    @Override
    public String location(String key) {
        return "memory:" + key;
    }

    @Override
    public String toString() {
        return "in memory";
    }
}
