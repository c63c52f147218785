package io.zeroscale.spi;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Collects every problem of a config instead of stopping at the first, so one {@code zeroscale
 * validate} run lists them all. Whoever checks several independent things (the daemon's loader,
 * the engine's builder, a plugin or automaton factory with several settings) runs each check
 * through {@link #check} or {@link #attempt}, then calls {@link #throwIfAny()}.
 *
 * <p>A problem is the text of a {@link ZeroscaleException}: "path: problem; fix". One problem is
 * kept per path: a problem at a path that is already reported, or below one (say {@code
 * targets.a.policy.idle} after {@code targets.a.policy}), is a consequence of the first and is
 * dropped, so a key the JSON Schema already rejected is not reported again by a factory.
 *
 * <p>Not thread-safe: one collector belongs to one check, on one thread.
 */
public final class ConfigProblems {
    private final List<ZeroscaleException> failures = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> paths = new ArrayList<>();

    /** Records every problem {@code failure} carries (those at an already reported path are dropped). */
    public void add(ZeroscaleException failure) {
        requireNonNull(failure, "failure is null");
        boolean added = false;
        for (String problem : failure.problems()) {
            String path = pathOf(problem);
            if (!covered(path)) {
                problems.add(problem);
                paths.add(path);
                added = true;
            }
        }
        if (added) {
            failures.add(failure);
        }
    }

    /**
     * Runs one check; a {@link ZeroscaleException} it throws is recorded instead of propagated.
     *
     * @return whether the check passed
     */
    public boolean check(Runnable check) {
        try {
            check.run();
            return true;
        } catch (ZeroscaleException e) {
            add(e);
            return false;
        }
    }

    /**
     * Runs one check that produces a value; a {@link ZeroscaleException} it throws is recorded.
     *
     * @return the value, or empty when the check failed (the caller goes on without it)
     */
    public <T> Optional<T> attempt(Supplier<? extends @Nullable T> check) {
        try {
            return Optional.ofNullable(check.get());
        } catch (ZeroscaleException e) {
            add(e);
            return Optional.empty();
        }
    }

    /** Whether nothing was recorded. */
    public boolean isEmpty() {
        return problems.isEmpty();
    }

    /** The problems recorded so far, in the order they were found. */
    public List<String> list() {
        return List.copyOf(problems);
    }

    /**
     * Throws one exception with every recorded problem, sorted by path (the order of the JSON
     * Schema's messages); does nothing when there is none. A single recorded exception is rethrown
     * as it is, keeping its code and cause; several get their common code, or {@code
     * CONFIG_INVALID} when the codes differ.
     *
     * @throws ZeroscaleException with every problem
     */
    public void throwIfAny() {
        if (problems.isEmpty()) {
            return;
        }
        if (failures.size() == 1 && failures.getFirst().problems().equals(problems)) {
            throw failures.getFirst();
        }
        ErrorCode code = failures.getFirst().errorCode();
        for (ZeroscaleException failure : failures) {
            if (!failure.errorCode().equals(code)) {
                code = CONFIG_INVALID;
            }
        }
        List<String> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparing(ConfigProblems::pathOf));
        ZeroscaleException all = new ZeroscaleException(code, sorted, null);
        failures.forEach(all::addSuppressed);
        throw all;
    }

    private boolean covered(String path) {
        for (String reported : paths) {
            if (path.equals(reported) || path.startsWith(reported + ".") || path.startsWith(reported + "[")) {
                return true;
            }
        }
        return false;
    }

    /** The path a problem starts with ("a.b: ..."); the whole text when it has none. */
    private static String pathOf(String problem) {
        int colon = problem.indexOf(": ");
        return colon < 0 ? problem : problem.substring(0, colon);
    }
}
