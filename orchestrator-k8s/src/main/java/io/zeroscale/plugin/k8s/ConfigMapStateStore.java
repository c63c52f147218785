package io.zeroscale.plugin.k8s;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.state.StateStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The engine's state (overrides, automation pause, the journal) in the cluster, so a new leader on
 * another machine finds what the last one kept ({@code state-store: {type: kubernetes}}): one
 * ConfigMap per document in the store's namespace, named after the store and the key
 * ({@code <store>-state-} + the key in lower case with each run of other characters as {@code -},
 * + 8 hex digits of the key's SHA-256, so two keys, or two stores' same key, never share one), labelled {@code zeroscale.io/state-store=<store>} (listed by that
 * label), the key in the annotation {@code zeroscale.io/state-key} and the document in
 * {@code binaryData.document}. A write replaces the whole ConfigMap in one request (atomic; the API
 * server has it in etcd once it answers). A document set aside keeps its data under a new name
 * ending in {@code -aside-<n>}, without the label, with the reason in the annotation
 * {@code zeroscale.io/set-aside}.
 */
final class ConfigMapStateStore implements StateStore {
    static final String STORE_LABEL = "zeroscale.io/state-store";
    static final String KEY_ANNOTATION = "zeroscale.io/state-key";
    static final String ASIDE_ANNOTATION = "zeroscale.io/set-aside";
    static final String DATA = "document";

    private final KubernetesClient client;
    private final String namespace;
    private final String store;

    ConfigMapStateStore(KubernetesClient client, String namespace, String store) {
        this.client = client;
        this.namespace = namespace;
        this.store = store;
    }

    /**
     * The ConfigMap name of {@code key} in the store named {@code store} (a DNS subdomain: only
     * lower-case letters, digits and single '-' between them, at most 63 + 7 + 170 + 9 characters).
     */
    static String name(String store, String key) {
        String readable = key.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        if (readable.length() > 170) {
            readable = readable.substring(0, 170);
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(UTF_8))).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        readable = readable.replaceAll("^-+|-+$", "");
        return store + "-state-" + (readable.isEmpty() ? "" : readable + "-") + hash;
    }

    @Override
    public Optional<byte[]> read(String key) {
        ConfigMap map = call("read", key, () -> client.configMaps().inNamespace(namespace).withName(name(store, key)).get());
        if (map == null || map.getBinaryData() == null || !map.getBinaryData().containsKey(DATA)) {
            return Optional.empty();
        }
        return Optional.of(Base64.getDecoder().decode(map.getBinaryData().get(DATA)));
    }

    @Override
    public void write(String key, byte[] document) {
        ConfigMap map = new ConfigMapBuilder().withNewMetadata().withName(name(store, key)).withNamespace(namespace)
                .addToLabels(STORE_LABEL, store).addToAnnotations(KEY_ANNOTATION, key).endMetadata()
                .withBinaryData(Map.of(DATA, Base64.getEncoder().encodeToString(document))).build();
        call("write", key, () -> client.configMaps().inNamespace(namespace).resource(map).createOr(NonDeletingOperation::update));
    }

    @Override
    public void delete(String key) {
        call("delete", key, () -> client.configMaps().inNamespace(namespace).withName(name(store, key)).delete());
    }

    @Override
    public List<String> keys(String prefix) {
        List<ConfigMap> maps = call("list", prefix + "*", () -> client.configMaps().inNamespace(namespace)
                .withLabel(STORE_LABEL, store).list().getItems());
        return maps.stream().flatMap(map -> Optional.ofNullable(map.getMetadata().getAnnotations())
                .map(annotations -> annotations.get(KEY_ANNOTATION)).stream())
                .filter(key -> key.startsWith(prefix)).toList();
    }

    @Override
    public String setAside(String key, String reason) {
        ConfigMap map = call("read", key, () -> client.configMaps().inNamespace(namespace).withName(name(store, key)).get());
        if (map == null) {
            return location(key) + " (gone)";
        }
        for (int n = 1; ; n++) {
            String aside = name(store, key) + "-aside-" + n;
            ConfigMap copy = new ConfigMapBuilder().withNewMetadata().withName(aside).withNamespace(namespace)
                    .addToAnnotations(KEY_ANNOTATION, key).addToAnnotations(ASIDE_ANNOTATION, reason).endMetadata()
                    .withBinaryData(map.getBinaryData()).withData(map.getData()).build();
            try {
                client.configMaps().inNamespace(namespace).resource(copy).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    continue; // an earlier document set aside has this name
                }
                throw unavailable("set aside", key, e);
            }
            delete(key);
            return "configmap " + namespace + "/" + aside;
        }
    }

    @Override
    public String location(String key) {
        return "configmap " + namespace + "/" + name(store, key);
    }

    @Override
    public void close() {
        client.close();
    }

    private <T> T call(String operation, String key, Supplier<T> request) {
        try {
            return request.get();
        } catch (KubernetesClientException e) {
            throw unavailable(operation, key, e);
        }
    }

    private ZeroscaleException unavailable(String operation, String key, KubernetesClientException e) {
        return new ZeroscaleException(StandardErrorCode.STATE_STORE_UNAVAILABLE, "state store " + store + ": cannot " + operation + " "
                + location(key) + " (" + e.getCode() + " " + e.getMessage() + ")", e);
    }

    @Override
    public String toString() {
        return "kubernetes state store " + store + " (configmaps in " + namespace + ")";
    }
}
