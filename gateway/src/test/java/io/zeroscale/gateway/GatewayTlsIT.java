package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * TLS on the listener with certificates the test makes itself: served over TLS 1.3 and 1.2, the
 * handshake timeout, and certificate reload on change (open connections keep their session, a bad
 * new certificate is refused with a warning and the old one stays).
 */
class GatewayTlsIT extends GatewayTestSupport {
    @TempDir
    Path dir;
    Path certFile;
    Path keyFile;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger tlsLog = (Logger) LoggerFactory.getLogger(TlsCertificates.class);

    @BeforeEach
    void captureLogs() {
        certFile = dir.resolve("tls.crt");
        keyFile = dir.resolve("tls.key");
        logs.start();
        tlsLog.addAppender(logs);
    }

    @AfterEach
    void stopCapturing() {
        tlsLog.detachAppender(logs);
    }

    private Gateway startTls(TlsConfig tls, TestBackend backend) {
        hub.forward(APP, backend.endpoint());
        return start(GatewayConfig.builder().tls(tls).build(), GatewayRoute.path(APP, "/"));
    }

    /** Trusts whatever the server shows, so the test can look at which certificate that was. */
    private static SSLContext trustingAnything() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }

    private static SSLSocket connect(Gateway gateway, String... protocols) throws Exception {
        SSLSocket socket = (SSLSocket) trustingAnything().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), gateway.port());
        if (protocols.length > 0) {
            socket.setEnabledProtocols(protocols);
        }
        socket.startHandshake();
        return socket;
    }

    private static String servedCommonName(Gateway gateway) throws Exception {
        try (SSLSocket socket = connect(gateway)) {
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    @Test
    void servesHttpsWithTheConfiguredCertificateAndSaysSoToTheEndpoint() throws Exception {
        TestCertificates.Issued issued = TestCertificates.selfSigned("gateway-a");
        issued.writeTo(certFile, keyFile);
        TestBackend backend = backend("b");
        Gateway gateway = startTls(TlsConfig.of(certFile, keyFile), backend);
        HttpClient client = HttpClient.newBuilder().sslContext(issued.trustingClient())
                .version(HttpClient.Version.HTTP_1_1).build();

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                java.net.URI.create("https://127.0.0.1:" + gateway.port() + "/headers")).build(),
                HttpResponse.BodyHandlers.ofString());
        client.close();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("x-forwarded-proto: https");
        assertThat(response.sslSession()).hasValueSatisfying(
                session -> assertThat(session.getProtocol()).isEqualTo("TLSv1.3"));
    }

    @Test
    void aTls12ClientIsServedAndCleartextIsNot() throws Exception {
        TestCertificates.selfSigned("gateway-a").writeTo(certFile, keyFile);
        TestBackend backend = backend("b");
        Gateway gateway = startTls(TlsConfig.of(certFile, keyFile), backend);

        try (SSLSocket socket = connect(gateway, "TLSv1.2"); RawHttp client = new RawHttp(socket)) {
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body()).isEqualTo("hello from b");
        }
        // Plain HTTP on the TLS port is not a request: the handshake fails and nothing reaches the backend.
        try (RawHttp plain = new RawHttp(gateway.port())) {
            plain.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(plain.readToEnd()).doesNotContain("hello");
        }
        assertThat(backend.requests()).isEqualTo(1);
    }

    @Test
    void onlyTls12AndNewerCanBeConfigured() {
        assertThatThrownBy(() -> TlsConfig.of(certFile, keyFile).withProtocols(List.of("TLSv1.1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TLSv1.1")
                .hasMessageContaining("RFC 8996");
    }

    @Test
    void aClientThatNeverCompletesTheHandshakeIsClosedWithinTheHandshakeTimeout() throws Exception {
        TestCertificates.selfSigned("gateway-a").writeTo(certFile, keyFile);
        Gateway gateway = startTls(TlsConfig.of(certFile, keyFile).withHandshakeTimeout(Duration.ofSeconds(1)),
                backend("b"));

        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port());
                RawHttp silent = new RawHttp(socket)) {
            long start = System.nanoTime();
            // The first bytes of a ClientHello record, then nothing.
            socket.getOutputStream().write(new byte[] {0x16, 0x03, 0x01});
            socket.getOutputStream().flush();
            boolean closed = silent.closedByServer();
            long elapsed = System.nanoTime() - start;

            assertThat(closed).isTrue();
            assertThat(elapsed).as("closed within handshake-timeout + 1s").isLessThan(Duration.ofSeconds(2).toNanos());
        }
    }

    @Test
    void aStartupWithAKeyThatIsNotTheCertificatesFailsWithTheReason() throws Exception {
        TestCertificates.Issued one = TestCertificates.selfSigned("one");
        TestCertificates.Issued other = TestCertificates.selfSigned("other");
        one.writeTo(certFile, keyFile);
        other.writeTo(dir.resolve("other.crt"), keyFile);

        assertThatThrownBy(() -> startTls(TlsConfig.of(certFile, keyFile), backend("b")))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .hasMessageContaining("gateway.tls: cannot use certificate " + certFile)
                .hasMessageContaining("private key that belongs to it");
    }

    @Test
    void anExpiredCertificateIsRefusedAtStartup() throws Exception {
        Instant now = Instant.now();
        TestCertificates.selfSigned("old", now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))
                .writeTo(certFile, keyFile);

        assertThatThrownBy(() -> startTls(TlsConfig.of(certFile, keyFile), backend("b")))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("expired");
    }

    @Test
    void aReplacedCertificateServesNewConnectionsWhileAnOpenOneKeepsItsSessionAndRequest() throws Exception {
        TestCertificates.selfSigned("gateway-a").writeTo(certFile, keyFile);
        TestBackend backend = backend("b");
        Gateway gateway = startTls(TlsConfig.of(certFile, keyFile).withReloadCheck(Duration.ofSeconds(1)), backend);
        assertThat(servedCommonName(gateway)).isEqualTo("CN=gateway-a");

        try (SSLSocket open = connect(gateway); RawHttp client = new RawHttp(open)) {
            // A request in flight on the old session while the certificate changes.
            client.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

            TestCertificates.selfSigned("gateway-b").writeTo(certFile, keyFile);
            await().atMost(Duration.ofSeconds(10)).until(() -> servedCommonName(gateway).equals("CN=gateway-b"));

            backend.releaseSlow();
            assertThat(client.read().body()).isEqualTo("slow from b");
            // Still the same connection and session, with the old certificate.
            assertThat(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body()).isEqualTo("hello from b");
            assertThat(((X509Certificate) open.getSession().getPeerCertificates()[0]).getSubjectX500Principal()
                    .getName()).isEqualTo("CN=gateway-a");
        }
        assertThat(logs.list).anyMatch(event -> event.getFormattedMessage().startsWith("TLS certificate reloaded from "
                + certFile) && event.getFormattedMessage().contains("CN=gateway-b"));
    }

    /**
     * The same with an HTTP/2 stream open (ALPN h2): it completes over the old session, the
     * connection keeps serving streams, and new connections get the new certificate. The client
     * trusts only the old certificate, so a request it gets answered after the swap cannot have
     * gone over a new connection.
     */
    @Test
    void aReplacedCertificateLetsAnOpenHttp2StreamCompleteAndServesNewConnections() throws Exception {
        TestCertificates.Issued old = TestCertificates.selfSigned("gateway-a");
        old.writeTo(certFile, keyFile);
        TestBackend backend = backend("b");
        Gateway gateway = startTls(TlsConfig.of(certFile, keyFile).withReloadCheck(Duration.ofSeconds(1)), backend);
        HttpClient trustsOld = closeLater(HttpClient.newBuilder().sslContext(old.trustingClient())
                .version(HttpClient.Version.HTTP_2).build());
        java.net.URI base = java.net.URI.create("https://127.0.0.1:" + gateway.port());

        java.util.concurrent.CompletableFuture<HttpResponse<String>> stream = trustsOld.sendAsync(
                HttpRequest.newBuilder(base.resolve("/slow")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        TestCertificates.Issued next = TestCertificates.selfSigned("gateway-b");
        next.writeTo(certFile, keyFile);
        await().atMost(Duration.ofSeconds(10)).until(() -> servedCommonName(gateway).equals("CN=gateway-b"));

        backend.releaseSlow();
        HttpResponse<String> answer = stream.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(answer.body()).isEqualTo("slow from b");
        HttpResponse<String> again = trustsOld.send(HttpRequest.newBuilder(base.resolve("/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(again.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(again.body()).as("another stream on the open connection").isEqualTo("hello from b");

        HttpClient trustsNew = closeLater(HttpClient.newBuilder().sslContext(next.trustingClient())
                .version(HttpClient.Version.HTTP_2).build());
        HttpResponse<String> fresh = trustsNew.send(HttpRequest.newBuilder(base.resolve("/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(fresh.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(fresh.body()).isEqualTo("hello from b");
    }

    @Test
    void aBadNewCertificateIsRefusedWithAWarningAndTheOldOneStays() throws Exception {
        TestCertificates.selfSigned("gateway-a").writeTo(certFile, keyFile);
        Gateway gateway = startTls(TlsConfig.of(certFile, keyFile).withReloadCheck(Duration.ofSeconds(1)),
                backend("b"));

        // A new certificate whose key is not written yet: the pair does not match.
        TestCertificates.Issued next = TestCertificates.selfSigned("gateway-c");
        TestCertificates.writeAtomically(certFile, TestCertificates.pem("CERTIFICATE",
                next.certificate().getEncoded()));
        await().atMost(Duration.ofSeconds(10)).until(() -> logs.list.stream().anyMatch(event ->
                event.getLevel() == ch.qos.logback.classic.Level.WARN
                        && event.getFormattedMessage().contains("changed but is refused")));
        ILoggingEvent warning = logs.list.stream().filter(event -> event.getLevel()
                == ch.qos.logback.classic.Level.WARN).findFirst().orElseThrow();
        assertThat(warning.getFormattedMessage())
                .contains("TLS certificate " + certFile + " with key " + keyFile)
                .contains("still serving the previous one (subject CN=gateway-a");
        assertThat(servedCommonName(gateway)).isEqualTo("CN=gateway-a");

        // Garbage is refused the same way.
        Files.writeString(keyFile, "not a key");
        await().atMost(Duration.ofSeconds(10)).until(() -> logs.list.stream().filter(event ->
                event.getLevel() == ch.qos.logback.classic.Level.WARN).count() >= 2);
        assertThat(servedCommonName(gateway)).isEqualTo("CN=gateway-a");

        // Once the matching key arrives, the new pair is taken.
        next.writeTo(certFile, keyFile);
        await().atMost(Duration.ofSeconds(10)).until(() -> servedCommonName(gateway).equals("CN=gateway-c"));
    }

    @Test
    void theServedCertificateMatchesTheSniLessDefault() throws Exception {
        // One certificate for every name: a client asking for another name still gets it (no SNI routing).
        TestCertificates.selfSigned("gateway-a").writeTo(certFile, keyFile);
        Gateway gateway = startTls(TlsConfig.of(certFile, keyFile), backend("b"));
        try (SSLSocket socket = (SSLSocket) trustingAnything().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), gateway.port())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("other.example")));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertThat(((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal()
                    .getName()).isEqualTo("CN=gateway-a");
        }
    }
}
