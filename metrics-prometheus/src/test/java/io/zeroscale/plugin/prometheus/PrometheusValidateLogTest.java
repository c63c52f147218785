package io.zeroscale.plugin.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.testkit.TestPluginContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A Prometheus that is down when the daemon validates its config is expected (it may start later):
 * startup goes on, and the log gets one line naming the URL, not a stack trace.
 */
class PrometheusValidateLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger(PrometheusMetricSource.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void capture() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
    }

    /** A loopback port nobody listens on: bound once to get a free number, then closed. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void anUnreachableServerAtValidateTimeIsOneWarningLineNamingTheUrl() throws IOException {
        String url = "http://127.0.0.1:" + closedPort();
        try (MetricSource source = new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("url", url, "retries", Map.of("backoff", "1ms"))),
                TestPluginContext.at(TestData.NOW))) {
            assertThatCode(() -> source.validate(TestData.query("up"))).doesNotThrowAnyException();
        }

        assertThat(appender.list).hasSize(1);
        ILoggingEvent event = appender.list.getFirst();
        assertThat(event.getLevel()).isEqualTo(Level.WARN);
        assertThat(event.getFormattedMessage()).contains(url, "'prom'", "'rps'").doesNotContain("\n");
        assertThat(event.getThrowableProxy()).as("no stack trace").isNull();
    }
}
