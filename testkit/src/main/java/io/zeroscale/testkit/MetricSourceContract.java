package io.zeroscale.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link MetricSource} owes the engine, as one JUnit 5 suite. A plugin's test
 * extends it and supplies a source over a backend whose data it controls, so the suite can check
 * exact values; the suite then proves the rules the engine relies on:
 *
 * <ul>
 *   <li>a query whose value is known returns {@link SignalValue.Known} with exactly that value,
 *       stamped with the time of the source's clock;
 *   <li>a query that matches nothing is {@link SignalValue.Unknown}, not 0, unless its options
 *       say {@code empty-as-zero: true};
 *   <li>a backend that is down is {@code Unknown} with a reason naming the backend's address:
 *       never an exception, never 0;
 *   <li>concurrent queries (the engine queries from many virtual threads) all get their value;
 *   <li>{@code close()} can be called twice, and a closed source answers {@code Unknown}.
 * </ul>
 *
 * <p>Sources made by {@link #createSource()} are closed after each test.
 */
public abstract class MetricSourceContract {
    private final List<MetricSource> created = new ArrayList<>();

    /**
     * A new source over a working backend holding the data {@link #knownQuery()} reads. Called once
     * or more per test; if {@link #breakBackend()} ran in an earlier test, bring the backend back.
     */
    protected abstract MetricSource createSource();

    /** The clock the source was given; values must carry its time. */
    protected abstract InstantSource clock();

    /** A query whose exact value {@link #knownValue()} the test knows from the data it wrote. */
    protected abstract MetricQuery knownQuery();

    /** The exact value of {@link #knownQuery()}. */
    protected abstract double knownValue();

    /** A query that is valid but matches no data; its options must not set empty-as-zero. */
    protected abstract MetricQuery emptyQuery();

    /**
     * Makes the backend of sources from {@link #createSource()} fail, for the rest of this test:
     * stop the server or point at a dead port.
     */
    protected abstract void breakBackend();

    /** The address the backend listens on, as a user would recognise it in a reason. */
    protected abstract String backendAddress();

    /** The window passed to {@link MetricSource#query}. */
    protected Duration window() {
        return Duration.ofMinutes(1);
    }

    /** {@link #emptyQuery()} with {@code empty-as-zero: true} added to its options. */
    protected MetricQuery emptyQueryAsZero() {
        MetricQuery empty = emptyQuery();
        Map<String, Object> options = new LinkedHashMap<>(empty.options().asMap());
        options.put("empty-as-zero", true);
        return new MetricQuery(empty.signal(), empty.expression(), Config.of(empty.options().path(), options));
    }

    private MetricSource source() {
        MetricSource source = createSource();
        created.add(source);
        return source;
    }

    @AfterEach
    void closeCreatedSources() {
        for (MetricSource source : created) {
            source.close();
        }
        created.clear();
    }

    @Test
    void knownQueryReturnsTheExactValueAtTheClocksTime() {
        SignalValue value = source().query(knownQuery(), window());

        assertThat(value).isInstanceOf(SignalValue.Known.class);
        assertThat(((SignalValue.Known) value).value()).isEqualTo(knownValue());
        assertThat(value.at()).isEqualTo(clock().instant());
    }

    @Test
    void validateAcceptsTheKnownQuery() {
        MetricSource source = source();

        assertThatCode(() -> source.validate(knownQuery())).doesNotThrowAnyException();
    }

    @Test
    void emptyResultIsUnknownNotZero() {
        SignalValue value = source().query(emptyQuery(), window());

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).isNotBlank();
    }

    @Test
    void emptyResultReadsZeroWhenTheSignalSaysEmptyAsZero() {
        SignalValue value = source().query(emptyQueryAsZero(), window());

        assertThat(value).isEqualTo(SignalValue.known(0.0, clock().instant()));
    }

    @Test
    void backendDownIsUnknownNamingTheBackendNeverAnExceptionOrZero() {
        MetricSource source = source();
        breakBackend();

        SignalValue[] value = new SignalValue[1];
        assertThatCode(() -> value[0] = source.query(knownQuery(), window())).doesNotThrowAnyException();

        assertThat(value[0]).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value[0]).reason()).contains(backendAddress());
        assertThat(value[0].at()).isEqualTo(clock().instant());
    }

    @Test
    void concurrentQueriesAllGetTheirValue() throws Exception {
        MetricSource source = source();
        List<Callable<SignalValue>> queries = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            queries.add(() -> source.query(knownQuery(), window()));
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<SignalValue> result : threads.invokeAll(queries)) {
                assertThat(result.get()).isEqualTo(SignalValue.known(knownValue(), clock().instant()));
            }
        }
    }

    @Test
    void closeIsIdempotentAndAClosedSourceAnswersUnknown() {
        MetricSource source = source();
        assertThat(source.query(knownQuery(), window())).isInstanceOf(SignalValue.Known.class);

        source.close();
        assertThatCode(source::close).doesNotThrowAnyException();

        assertThat(source.query(knownQuery(), window())).isInstanceOf(SignalValue.Unknown.class);
    }
}
