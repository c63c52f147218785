package io.zeroscale.spi.state;

import java.util.List;
import java.util.Optional;

/**
 * Small documents the engine keeps across restarts, by key. A key is one or more segments joined
 * by {@code /}, each of letters, digits, {@code .}, {@code _} and {@code -} (e.g. {@code
 * targets/web.json}, {@code journal.json}); the engine encodes anything else (target names) itself.
 * A document is opaque bytes to the store (the engine writes JSON), at most a few hundred KiB.
 *
 * <p>Threading: the engine calls every method on its blocking executor, never on a target's actor,
 * so an implementation may block on a disk or the network; it must be thread-safe for different
 * keys. The engine never writes one key from two threads at once, and writes each key in order.
 *
 * <p>Errors: a store that cannot be reached or written throws {@link
 * io.zeroscale.spi.ZeroscaleException} with {@link
 * io.zeroscale.spi.StandardErrorCode#STATE_STORE_UNAVAILABLE}; the engine logs it, keeps the state in
 * memory and writes again on the next change. A document the engine cannot understand is not an
 * error of the store: the engine {@linkplain #setAside sets it aside} and goes on without it.
 */
public interface StateStore extends AutoCloseable {
    /**
     * The document stored under {@code key}, or empty when there is none.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code STATE_STORE_UNAVAILABLE} when it cannot be read
     */
    Optional<byte[]> read(String key);

    /**
     * Replaces the document under {@code key} atomically and durably: once this returns, a crash
     * leaves the new document; while it runs, a crash leaves the old one or the new one, never a
     * mix. Idempotent.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code STATE_STORE_UNAVAILABLE} when it cannot be written
     */
    void write(String key, byte[] document);

    /**
     * Removes the document under {@code key}; nothing happens when there is none.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code STATE_STORE_UNAVAILABLE} when it cannot be removed
     */
    void delete(String key);

    /**
     * The keys that start with {@code prefix} (e.g. {@code targets/}), in no particular order;
     * documents set aside are not listed.
     */
    List<String> keys(String prefix);

    /**
     * Moves the document under {@code key}, which the engine could not understand, out of the way
     * without deleting it, so a person can look at it; afterwards {@link #read} finds nothing
     * under {@code key}.
     *
     * @param reason why, for the store's own records (a file store may ignore it)
     * @return where the document is now, in words a person can follow (a file's path)
     * @throws io.zeroscale.spi.ZeroscaleException {@code STATE_STORE_UNAVAILABLE} when it cannot be moved
     */
    String setAside(String key, String reason);

    /** Where the document under {@code key} lives, for messages (a file's path, a resource's name). */
    String location(String key);

    /** Releases the store's resources; the engine calls it once, when it closes. Never throws. */
    @Override
    default void close() {}
}
