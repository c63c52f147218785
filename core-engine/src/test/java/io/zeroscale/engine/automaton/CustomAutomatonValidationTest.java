package io.zeroscale.engine.automaton;

import static io.zeroscale.engine.automaton.CustomPolicies.EXAMPLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every mistake is caught when the policy loads, with the path, the position and the fix. */
class CustomAutomatonValidationTest {
    private static final Set<String> SIGNALS = Set.of("rps", "p95");

    @Test
    void theExampleIsValid() {
        assertThat(CustomPolicies.create(EXAMPLE, SIGNALS).states()).containsExactly("idle", "warm", "busy");
    }

    @Test
    void aSyntaxErrorNamesItsPosition() {
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", "signals.rps > 20.0 and requests.held > 0"),
                "targets.x.policy.transitions[1].when: invalid expression 'signals.rps > 20.0 and requests.held > 0'"
                        + " at 1:20: mismatched input 'and' expecting {<EOF>, '==', '!=', 'in', '<', '<=', '>=', '>',"
                        + " '&&', '||', '[', '.', '-', '?', '+', '*', '/', '%%'}; fix the expression");
    }

    @Test
    void aSyntaxErrorOnALaterLineNamesThatLine() {
        String policy = """
                initial: idle
                states:
                  idle: { replicas: "0" }
                  warm: { replicas: "1" }
                transitions:
                  - from: idle
                    to: warm
                    when: |
                      signals.rps > 20.0 &&
                        requests.inflight = 0
                """;
        assertInvalid(
                policy,
                "targets.x.policy.transitions[0].when: invalid expression 'signals.rps > 20.0 && requests.inflight = 0'"
                        + " at 2:21: token recognition error at: '= ' (and 1 more); fix the expression");
    }

    @Test
    void aTypoInAVariableOrFieldSuggestsTheRightName() {
        assertInvalid(
                EXAMPLE.replace("requests.held > 0", "request.held > 0"),
                "targets.x.policy.transitions[0].when: invalid expression 'request.held > 0 || signals.rps > 0.5'"
                        + " at 1:1: undeclared reference to 'request'; did you mean 'requests'?");
        assertInvalid(
                EXAMPLE.replace("requests.held > 0", "requests.hedl > 0"),
                "targets.x.policy.transitions[0].when: invalid expression 'requests.hedl > 0 || signals.rps > 0.5'"
                        + " at 1:9: undefined field 'hedl'; did you mean 'held'?");
    }

    @Test
    void mixingIntAndDoubleArithmeticSaysHowToFixIt() {
        assertInvalid(
                EXAMPLE.replace("int(math.ceil(signals.rps / 10.0))", "int(signals.rps / 10)"),
                "targets.x.policy.states.busy.replicas: invalid expression 'int(signals.rps / 10)' at 1:17: found no"
                        + " matching overload for '_/_' applied to '(double, int)' (candidates: (int, int),(uint,"
                        + " uint),(double, double)); CEL does not mix int and double in arithmetic or equality: write"
                        + " 10.0 instead of 10, or convert with double(...) or int(...)");
    }

    @Test
    void aGuardMustBeBool() {
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", "signals.rps / 2.0"),
                "targets.x.policy.transitions[1].when: 'signals.rps / 2.0' has type double, expected bool; a guard"
                        + " must be true or false, e.g. 'signals.rps > 20.0'");
    }

    @Test
    void replicasMustBeInt() {
        assertInvalid(
                EXAMPLE.replace("int(math.ceil(signals.rps / 10.0))", "signals.rps / 10.0"),
                "targets.x.policy.states.busy.replicas: 'signals.rps / 10.0' has type double, expected int; round it"
                        + " to a whole number, e.g. 'int(math.ceil(signals.rps / 10.0))'");
        assertInvalid(
                EXAMPLE.replace("int(math.ceil(signals.rps / 10.0))", "state"),
                "targets.x.policy.states.busy.replicas: 'state' has type string, expected int; write a whole number of"
                        + " replicas, e.g. '1' or 'int(math.ceil(signals.rps / 10.0))'");
    }

    @Test
    void anUnknownSignalSuggestsAConfiguredOne() {
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", "signals.rsp > 20.0"),
                "targets.x.policy.transitions[1].when: unknown signal 'rsp' at 1:8 in 'signals.rsp > 20.0'; did you"
                        + " mean 'rps'?");
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", "signals['arival-rate'] > 20.0"),
                "targets.x.policy.transitions[1].when: unknown signal 'arival-rate' at 1:8 in"
                        + " 'signals['arival-rate'] > 20.0'; did you mean 'arrival-rate'?");
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", "signals.latency > 20.0"),
                "targets.x.policy.transitions[1].when: unknown signal 'latency' at 1:8 in 'signals.latency > 20.0';"
                        + " configure it under the policy's signals, or use one of [arrival-rate, held, inflight, p95,"
                        + " rps]");
    }

    @Test
    void aHyphenatedSignalNeedsBrackets() {
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", "signals.arrival-rate > 20.0"),
                "targets.x.policy.transitions[1].when: invalid expression 'signals.arrival-rate > 20.0' at 1:17:"
                        + " undeclared reference to 'rate'; a signal name with '-' needs brackets:"
                        + " signals['arrival-rate']");
        assertThat(CustomPolicies.create(EXAMPLE.replace("signals.rps > 20.0", "signals['arrival-rate'] > 20.0"), SIGNALS))
                .isNotNull();
    }

    @Test
    void anExpressionThatAlwaysFailsIsRejected() {
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", "1 / 0 > 1"),
                "targets.x.policy.transitions[1].when: '1 / 0 > 1' fails: evaluation error at <input>:2: / by zero;"
                        + " fix the expression");
        assertInvalid(
                EXAMPLE.replace("signals.rps > 20.0", " "),
                "targets.x.policy.transitions[1].when: the expression is empty; write a CEL expression of type bool");
    }

    @Test
    void aTransitionToOrFromAnUnknownStateSuggestsOne() {
        assertInvalid(
                EXAMPLE.replace("{ from: warm, to: busy,", "{ from: warm, to: bsy,"),
                "targets.x.policy.transitions[1].to: unknown state 'bsy'; did you mean 'busy'?");
        assertInvalid(
                EXAMPLE.replace("{ from: warm, to: busy,", "{ from: wrm, to: busy,"),
                "targets.x.policy.transitions[1].from: unknown state 'wrm'; did you mean 'warm'?");
        assertInvalid(
                EXAMPLE.replace("{ from: warm, to: busy,", "{ from: warm, to: nowhere,"),
                "targets.x.policy.transitions[1].to: unknown state 'nowhere'; states are [busy, idle, warm]");
        assertInvalid(
                EXAMPLE.replace("\"*\", to: idle", "\"*\", to: \"*\""),
                "targets.x.policy.transitions[4].to: '*' (any state) is only allowed in from; name the state to enter,"
                        + " one of [busy, idle, warm]");
        assertInvalid(
                EXAMPLE.replace("{ from: warm, to: busy,", "{ to: busy,"),
                "targets.x.policy.transitions[1].from: required key is missing; add the state this transition leaves,"
                        + " or \"*\" for any state");
    }

    @Test
    void initialMustNameAState() {
        assertInvalid(
                EXAMPLE.replace("initial: idle\n", ""),
                "targets.x.policy.initial: required key is missing; add the state to start in, one of [busy, idle,"
                        + " warm]");
        assertInvalid(
                EXAMPLE.replace("initial: idle", "initial: idel"),
                "targets.x.policy.initial: unknown state 'idel'; did you mean 'idle'?");
    }

    @Test
    void everyStateMustBeReachableFromTheInitialOne() {
        assertInvalid(
                EXAMPLE.replace("  busy: { replicas", "  spare: { replicas: \"2\" }\n  busy: { replicas"),
                "targets.x.policy.states.spare: unreachable: no chain of transitions leads to it from the initial"
                        + " state 'idle'; add a transition to 'spare' or remove the state");
    }

    @Test
    void aTransitionNeedsWhenOrAfter() {
        assertInvalid(
                EXAMPLE.replace("{ from: \"*\", to: idle, after: 1h }", "{ from: \"*\", to: idle }"),
                "targets.x.policy.transitions[4]: needs a `when` guard or an `after` timeout; add one, e.g. when:"
                        + " \"signals.rps > 1.0\" or after: 5m");
        assertInvalid(
                EXAMPLE.replace("{ from: \"*\", to: idle, after: 1h }", "{ from: \"*\", to: idle, after: 1h, for: 5m }"),
                "targets.x.policy.transitions[4].for: `for` says how long the `when` guard must hold, and there is no"
                        + " `when`; add a `when` guard, or use `after` for time spent in the state");
    }

    @Test
    void aMalformedOrNegativeDurationIsRejected() {
        assertInvalid(
                EXAMPLE.replace("for: 30s", "for: 30 seconds"),
                "targets.x.policy.transitions[1].for: '30 seconds' is not a duration; write a whole number followed by"
                        + " a unit (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m");
        assertInvalid(
                EXAMPLE.replace("after: 1h", "after: -5m"),
                "targets.x.policy.transitions[4].after: '-5m' is not a duration; write a whole number followed by a"
                        + " unit (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m");
    }

    @Test
    void unknownKeysAreRejectedEverywhere() {
        assertInvalid(
                EXAMPLE.replace("transitions:", "transitons:"),
                "targets.x.policy.transitons: unknown key; did you mean 'transitions'?");
        assertInvalid(
                EXAMPLE.replace("idle: { replicas: \"0\" }", "idle: { replica: \"0\" }"),
                "targets.x.policy.states.idle.replica: unknown key; did you mean 'replicas'?");
        assertInvalid(
                EXAMPLE.replace("memory: 512Mi", "memroy: 512Mi"),
                "targets.x.policy.states.warm.profile.memroy: unknown key; did you mean 'memory'?");
        assertInvalid(
                EXAMPLE.replace("when: \"signals.rps > 20.0\"", "wen: \"signals.rps > 20.0\""),
                "targets.x.policy.transitions[1].wen: unknown key; did you mean 'when'?");
        assertInvalid(
                EXAMPLE.replace("severity: info", "severty: info"),
                "targets.x.policy.transitions[2].actions[0].severty: unknown key; did you mean 'severity'?");
    }

    @Test
    void actionsAreAlertsOrProfiles() {
        assertInvalid(
                EXAMPLE.replace("severity: info", "severity: urgent"),
                "targets.x.policy.transitions[2].actions[0].severity: unknown severity 'urgent'; write info, warning"
                        + " or critical");
        assertInvalid(
                EXAMPLE.replace("[ { alert: \"load dropped\", severity: info } ]", "[ { severity: info } ]"),
                "targets.x.policy.transitions[2].actions[0]: an action is either { alert: \"message\", severity:"
                        + " info|warning|critical } or { profile: { name, cpus, memory, gpus } }; write one of them per"
                        + " list item");
        assertInvalid(
                EXAMPLE.replace("[ { alert: \"load dropped\", severity: info } ]", "[ { profile: { name: x } } ]"),
                "targets.x.policy.transitions[2].actions[0].profile: a profile sets at least one of cpus, memory, gpus;"
                        + " add one, e.g. { cpus: 0.5, memory: 512Mi }");
        assertInvalid(
                EXAMPLE.replace("[ { alert: \"load dropped\", severity: info } ]", "oops"),
                "targets.x.policy.transitions[2].actions: expected a list of mappings, got 'oops'");
    }

    @Test
    void profileValuesAreChecked() {
        assertInvalid(
                EXAMPLE.replace("memory: 512Mi", "memory: 512MB"),
                "targets.x.policy.states.warm.profile.memory: '512MB' is not a memory size; write bytes or a number"
                        + " with a unit: Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), e.g. 512Mi or"
                        + " 2Gi");
        assertInvalid(
                EXAMPLE.replace("cpus: 0.5", "cpus: 0"),
                "targets.x.policy.states.warm.profile.cpus: must be a positive number of cores, e.g. 0.5 or 2, got 0.0");
        assertThat(Profiles.memoryBytes("m", "2Gi")).isEqualTo(2L << 30);
        assertThat(Profiles.memoryBytes("m", "1.5G")).isEqualTo(1_500_000_000L);
        assertThat(Profiles.memoryBytes("m", "1048576")).isEqualTo(1L << 20);
    }

    @Test
    void statesMustBeMappings() {
        assertInvalid(
                EXAMPLE.replace("idle: { replicas: \"0\" }", "idle: 0"),
                "targets.x.policy.states.idle: expected a mapping of keys to values, got 0");
        assertInvalid(
                "initial: idle\n",
                "targets.x.policy.states: required key is missing; define the states, e.g. states: { idle: { replicas:"
                        + " \"0\" }, active: { replicas: \"1\" } }");
    }

    @Test
    void everyMistakeOfAPolicyIsReportedTogether() {
        String policy = """
                initial: idel
                states:
                  idle: { replicas: "0" }
                  warm: { replicas: "signals.rsp > 1 ? 1 : 0" }
                transitions:
                  - from: idle
                    to: hot
                  - from: warm
                    to: idle
                    when: "requests.inflight = 0"
                """;
        assertThatThrownBy(() -> CustomPolicies.create(policy, SIGNALS))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(StandardErrorCode.POLICY_INVALID);
                    assertThat(e.problems())
                            .extracting(problem -> problem.substring(0, problem.indexOf(':')))
                            .containsExactly("targets.x.policy.initial", "targets.x.policy.states.warm.replicas",
                                    "targets.x.policy.transitions[0].to", "targets.x.policy.transitions[1].when");
                });
    }

    private static void assertInvalid(String yaml, String message) {
        assertThatThrownBy(() -> CustomPolicies.create(yaml, SIGNALS))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(StandardErrorCode.POLICY_INVALID))
                .hasMessage(message);
    }
}
