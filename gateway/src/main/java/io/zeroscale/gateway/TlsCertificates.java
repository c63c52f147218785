package io.zeroscale.gateway;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS context, read from the PEM files of a {@link TlsConfig} and read again when
 * they change. A new connection takes the context current when it arrives; a connection already
 * open keeps the session it negotiated, so replacing the certificate never cuts anybody.
 *
 * <p>A new certificate is only taken when it is usable: the chain parses, the leaf is within its
 * validity period, and an in-memory handshake with the key succeeds (which proves the key belongs
 * to the certificate). Otherwise a warning says why and the previous certificate stays in service;
 * the files are tried again when they change again (a certificate and key replaced one after the
 * other are picked up once both are written).
 *
 * <p>Thread-safe: {@link #newHandler} runs on event loops, the check on one daemon thread of its own
 * (file reads and the test handshake never block an event loop).
 */
final class TlsCertificates implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TlsCertificates.class);

    /** What identifies a version of the two files; a change in any part means "read them again". */
    private record Stamp(List<Object> parts) {}

    private final TlsConfig config;
    private final @Nullable ApplicationProtocolConfig alpn;
    private volatile SslContext current;
    private volatile String description;
    private @Nullable Stamp seen;
    private @Nullable ScheduledExecutorService checker;

    private TlsCertificates(TlsConfig config, @Nullable ApplicationProtocolConfig alpn, SslContext first,
            String description, Stamp seen) {
        this.config = config;
        this.alpn = alpn;
        this.current = first;
        this.description = description;
        this.seen = seen;
    }

    /**
     * Reads the certificate and key of {@code config}.
     *
     * @param alpn the protocols offered by ALPN, or null for none (HTTP/1.1 only)
     * @throws ZeroscaleException {@code CONFIG_INVALID} saying what is wrong with which file
     */
    static TlsCertificates load(TlsConfig config, @Nullable ApplicationProtocolConfig alpn) {
        try {
            Stamp stamp = stamp(config);
            X509Certificate leaf = check(config);
            SslContext context = build(config, alpn);
            return new TlsCertificates(config, alpn, context, describe(leaf), stamp);
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "gateway.tls: cannot use certificate "
                    + config.certificate() + " with key " + config.key() + ": " + reason(e)
                    + "; give a PEM certificate chain and the unencrypted PEM (PKCS#8) private key that belongs to it",
                    e);
        }
    }

    /** Starts checking the files every {@link TlsConfig#reloadCheck()}. */
    void startWatching() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("zeroscale-tls-reload").factory());
        long every = config.reloadCheck().toMillis();
        executor.scheduleWithFixedDelay(this::checkNow, every, every, TimeUnit.MILLISECONDS);
        checker = executor;
    }

    /** A handler for a new connection, with the current certificate and the handshake timeout. */
    SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler handler = current.newHandler(alloc);
        handler.setHandshakeTimeout(config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return handler;
    }

    /** Subject and expiry of the certificate in service. */
    String description() {
        return description;
    }

    /** Reads the files again if they changed since the last look. Runs on the checker thread (or a test). */
    synchronized void checkNow() {
        Stamp stamp;
        try {
            stamp = stamp(config);
        } catch (IOException e) {
            // Mid-replacement (a file briefly missing) or gone: keep serving, look again next time.
            log.debug("TLS files not readable right now: {}", reason(e));
            return;
        }
        if (stamp.equals(seen)) {
            return;
        }
        seen = stamp;
        try {
            X509Certificate leaf = check(config);
            SslContext next = build(config, alpn);
            current = next;
            description = describe(leaf);
            log.info("TLS certificate reloaded from {}: {}; new connections get it, open ones keep theirs",
                    config.certificate(), description);
        } catch (IOException | CertificateException | RuntimeException e) {
            log.warn("TLS certificate {} with key {} changed but is refused: {}; still serving the previous one ({})."
                    + " Fix the files; they are read again when they change", config.certificate(), config.key(),
                    reason(e), description);
        }
    }

    @Override
    public void close() {
        ScheduledExecutorService executor = checker;
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private static Stamp stamp(TlsConfig config) throws IOException {
        List<Object> parts = new ArrayList<>(8);
        for (Path path : List.of(config.certificate(), config.key())) {
            // The real path too: Kubernetes replaces a mounted secret by switching a symlink.
            Path real = path.toRealPath();
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
            parts.add(real);
            parts.add(attributes.lastModifiedTime());
            parts.add(attributes.size());
            Object key = attributes.fileKey();
            parts.add(key == null ? "" : key);
        }
        return new Stamp(parts);
    }

    /** Parses the chain (the JDK reads PEM certificates) and checks the leaf's validity period. */
    private static X509Certificate check(TlsConfig config) throws IOException, CertificateException {
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(config.certificate())) {
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) certificate);
            }
        }
        if (chain.isEmpty()) {
            throw new CertificateException(config.certificate() + " holds no PEM certificate");
        }
        X509Certificate leaf = chain.get(0);
        try {
            leaf.checkValidity();
        } catch (java.security.cert.CertificateExpiredException e) {
            throw new CertificateException("the certificate (" + describe(leaf) + ") has expired", e);
        } catch (java.security.cert.CertificateNotYetValidException e) {
            throw new CertificateException("the certificate (subject " + leaf.getSubjectX500Principal().getName()
                    + ") is not valid before " + DateTimeFormatter.ISO_INSTANT.format(leaf.getNotBefore().toInstant()),
                    e);
        }
        return leaf;
    }

    private static SslContext build(TlsConfig config, @Nullable ApplicationProtocolConfig alpn) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forServer(config.certificate().toFile(), config.key().toFile())
                .sslProvider(SslProvider.JDK)
                .protocols(config.protocols())
                // Only AEAD suites with forward secrecy (what HTTP/2 requires, RFC 9113 section 9.2.2).
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
        if (alpn != null) {
            builder.applicationProtocolConfig(alpn);
        }
        SslContext context = builder.build();
        testHandshake(context, config);
        return context;
    }

    /**
     * Runs a handshake in memory against the new context: a key that does not belong to the
     * certificate fails here (the client checks the server's signature), not on the first client.
     */
    private static void testHandshake(SslContext server, TlsConfig config) throws SSLException {
        SslContext client = SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols(config.protocols())
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .build();
        SSLEngine serverEngine = server.newEngine(UnpooledByteBufAllocator.DEFAULT);
        SSLEngine clientEngine = client.newEngine(UnpooledByteBufAllocator.DEFAULT);
        int size = Math.max(serverEngine.getSession().getPacketBufferSize(),
                clientEngine.getSession().getApplicationBufferSize()) * 4;
        ByteBuffer toServer = ByteBuffer.allocate(size);
        ByteBuffer toClient = ByteBuffer.allocate(size);
        ByteBuffer scratch = ByteBuffer.allocate(size);
        clientEngine.beginHandshake();
        serverEngine.beginHandshake();
        for (int round = 0; round < 50; round++) {
            step(clientEngine, toClient, toServer, scratch);
            step(serverEngine, toServer, toClient, scratch);
            if (handshaken(clientEngine) && handshaken(serverEngine)) {
                return;
            }
        }
        throw new SSLException("a test handshake with this certificate and key did not complete");
    }

    private static boolean handshaken(SSLEngine engine) {
        SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
        return status == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                || status == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    /** Reads what the peer wrote into {@code in}, then writes what the engine wants to send into {@code out}. */
    private static void step(SSLEngine engine, ByteBuffer in, ByteBuffer out, ByteBuffer scratch) throws SSLException {
        in.flip();
        while (in.hasRemaining()) {
            scratch.clear();
            SSLEngineResult result = engine.unwrap(in, scratch);
            runTasks(engine);
            if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesConsumed() == 0) {
                break;
            }
        }
        in.compact();
        for (int i = 0; i < 10 && engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP; i++) {
            SSLEngineResult result = engine.wrap(ByteBuffer.allocate(0), out);
            runTasks(engine);
            if (result.getStatus() != SSLEngineResult.Status.OK) {
                break;
            }
        }
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    private static String describe(X509Certificate leaf) {
        return "subject " + leaf.getSubjectX500Principal().getName() + ", valid until "
                + DateTimeFormatter.ISO_INSTANT.format(leaf.getNotAfter().toInstant());
    }

    /** The outer message (what failed) with the innermost one (why), on one line. */
    private static String reason(Throwable e) {
        String outer = e.getMessage();
        String inner = null;
        Throwable cause = e.getCause();
        for (int depth = 0; cause != null && depth < 10; depth++, cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                inner = cause.getMessage();
            }
        }
        String text;
        if (outer == null) {
            text = inner == null ? e.getClass().getSimpleName() : inner;
        } else {
            text = inner == null || outer.contains(inner) || e instanceof CertificateException ? outer
                    : outer + " (" + inner + ")";
        }
        return Responses.oneLine(text);
    }
}
