package io.zeroscale.engine.automaton;

import static io.zeroscale.engine.automaton.CustomAutomatonDefinition.invalid;

import com.google.common.collect.ImmutableSet;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelSource;
import dev.cel.common.CelSourceLocation;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypes;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.zeroscale.spi.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The CEL environment of custom automata: the variables an expression may use, and compilation
 * with the checks that make a bad expression fail at load instead of on some tick in production.
 * The compiler and runtime are immutable and thread-safe, so one pair serves every policy.
 */
final class CelExpressions {
    static final String SIGNALS = "signals";
    static final String REQUESTS = "requests";
    static final String READY = "ready";
    static final String REPLICAS = "replicas";
    static final String STATE = "state";
    static final Set<String> VARIABLES = Set.of(SIGNALS, REQUESTS, READY, REPLICAS, STATE);

    static final String HELD = "held";
    static final String INFLIGHT = "inflight";
    static final String RATE = "rate";
    static final Set<String> REQUEST_FIELDS = Set.of(HELD, INFLIGHT, RATE);

    // A struct type gives `requests` typed fields (held and inflight int, rate double) that the
    // checker verifies; at run time the value is a plain map, which CEL selects fields from.
    private static final StructType REQUESTS_TYPE = StructType.create(
            "zeroscale.Requests", ImmutableSet.of(HELD, INFLIGHT, RATE), field -> switch (field) {
                case HELD, INFLIGHT -> Optional.of(SimpleType.INT);
                case RATE -> Optional.of(SimpleType.DOUBLE);
                default -> Optional.empty();
            });

    // Signals are doubles and counts are ints; heterogeneous comparisons let users write
    // `signals.rps > 20` and `requests.held > 0` alike (arithmetic still needs one type).
    private static final CelOptions OPTIONS =
            CelOptions.current().enableHeterogeneousNumericComparisons(true).build();

    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .setTypeProvider(new SingleTypeProvider(REQUESTS_TYPE))
            .addVar(SIGNALS, MapType.create(SimpleType.STRING, SimpleType.DOUBLE))
            .addVar(REQUESTS, REQUESTS_TYPE)
            .addVar(READY, SimpleType.INT)
            .addVar(REPLICAS, SimpleType.INT)
            .addVar(STATE, SimpleType.STRING)
            .addLibraries(CelExtensions.math())
            .build();

    private static final CelRuntime RUNTIME = CelRuntimeFactory.legacyCelRuntimeBuilder()
            .setOptions(OPTIONS)
            .addLibraries(CelExtensions.math())
            .build();

    private static final Pattern MIXED_NUMBERS = Pattern.compile("\\((double, int|int, double)\\)");
    private static final Pattern UNDECLARED = Pattern.compile("undeclared reference to '([^']+)'");
    private static final Pattern UNDEFINED_FIELD = Pattern.compile("undefined field '([^']+)'");

    /** What an expression must evaluate to. */
    enum Kind {
        GUARD(CelKind.BOOL, "bool"),
        REPLICAS(CelKind.INT, "int");

        private final CelKind celKind;
        private final String typeName;

        Kind(CelKind celKind, String typeName) {
            this.celKind = celKind;
            this.typeName = typeName;
        }
    }

    private CelExpressions() {}

    /**
     * Parses and type-checks {@code source}, the value at {@code path}, and checks that every
     * signal it names is one of {@code knownSignals}.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code POLICY_INVALID} naming the path, the
     *     position and the fix
     */
    static CompiledExpression compile(String path, String source, Kind kind, Set<String> knownSignals) {
        String shown = source.strip().replaceAll("\\s+", " ");
        if (source.isBlank()) {
            throw invalid(path, "the expression is empty; write a CEL expression of type " + kind.typeName);
        }
        CelValidationResult result = COMPILER.compile(source);
        if (result.hasError()) {
            throw invalid(path, compileProblem(shown, result, knownSignals));
        }
        CelAbstractSyntaxTree ast;
        try {
            ast = result.getAst();
        } catch (CelValidationException e) {
            throw invalid(path, "invalid expression '" + shown + "': " + e.getMessage() + "; fix the expression");
        }
        SignalUse use = signalUse(ast);
        for (SignalRef ref : use.refs()) {
            if (!knownSignals.contains(ref.name())) {
                throw invalid(path, "unknown signal '" + ref.name() + "'" + at(ast.getSource(), ref.id()) + " in '"
                        + shown + "'; " + signalSuggestion(ref.name(), knownSignals));
            }
        }
        CelType type = ast.getResultType();
        if (type.kind() != kind.celKind) {
            throw invalid(path, "'" + shown + "' has type " + CelTypes.format(type) + ", expected " + kind.typeName
                    + "; " + typeFix(kind, type, shown));
        }
        CelRuntime.Program program;
        try {
            program = RUNTIME.createProgram(ast);
        } catch (CelEvaluationException e) {
            throw invalid(path, "cannot prepare '" + shown + "': " + e.getMessage() + "; fix the expression");
        }
        Set<String> names = new LinkedHashSet<>();
        use.refs().forEach(ref -> names.add(ref.name()));
        @Nullable Object constant = null;
        if (!usesVariables(ast)) {
            // Nothing to bind: evaluate once now, so a constant costs nothing per event and a
            // constant that cannot be evaluated (1 / 0) is a load error, not a runtime surprise.
            try {
                constant = program.eval(Map.of());
            } catch (CelEvaluationException e) {
                throw invalid(path, "'" + shown + "' fails: " + e.getMessage() + "; fix the expression");
            }
        }
        return new CompiledExpression(shown, program, Set.copyOf(names), use.dynamic(), constant);
    }

    private static String compileProblem(String shown, CelValidationResult result, Set<String> knownSignals) {
        CelIssue issue = result.getErrors().get(0);
        CelSourceLocation location = issue.getSourceLocation();
        String position = location.getLine() > 0 ? " at " + location.getLine() + ":" + (location.getColumn() + 1) : "";
        String more = result.getErrors().size() > 1 ? " (and " + (result.getErrors().size() - 1) + " more)" : "";
        String message = issue.getMessage().replace(" (in container '')", "");
        return "invalid expression '" + shown + "'" + position + ": " + message + more + "; "
                + compileFix(shown, message, knownSignals);
    }

    private static String compileFix(String shown, String message, Set<String> knownSignals) {
        for (String name : knownSignals) {
            if (name.contains("-") && shown.contains(SIGNALS + "." + name)) {
                return "a signal name with '-' needs brackets: " + SIGNALS + "['" + name + "']";
            }
        }
        if (MIXED_NUMBERS.matcher(message).find()) {
            return "CEL does not mix int and double in arithmetic or equality: write 10.0 instead of 10,"
                    + " or convert with double(...) or int(...)";
        }
        Matcher undeclared = UNDECLARED.matcher(message);
        if (undeclared.find()) {
            return Config.suggestion(undeclared.group(1), VARIABLES, "variables are");
        }
        Matcher field = UNDEFINED_FIELD.matcher(message);
        if (field.find()) {
            return Config.suggestion(field.group(1), REQUEST_FIELDS, REQUESTS + " has fields");
        }
        return "fix the expression";
    }

    private static String signalSuggestion(String name, Set<String> knownSignals) {
        String suggestion = Config.suggestion(name, knownSignals);
        if (suggestion.startsWith("did you mean")) {
            return suggestion;
        }
        return "configure it under the policy's signals, or use one of " + new TreeSet<>(knownSignals);
    }

    private static String typeFix(Kind kind, CelType actual, String shown) {
        return switch (kind) {
            case GUARD -> "a guard must be true or false, e.g. 'signals.rps > 20.0'";
            case REPLICAS -> actual.kind() == CelKind.DOUBLE
                    ? "round it to a whole number, e.g. 'int(math.ceil(" + shown + "))'"
                    : "write a whole number of replicas, e.g. '1' or 'int(math.ceil(signals.rps / 10.0))'";
        };
    }

    private static String at(CelSource source, long id) {
        Integer offset = source.getPositionsMap().get(id);
        if (offset == null) {
            return "";
        }
        return source.getOffsetLocation(offset)
                .map(location -> " at " + location.getLine() + ":" + (location.getColumn() + 1))
                .orElse("");
    }

    private record SignalRef(String name, long id, int offset) {}

    private record SignalUse(List<SignalRef> refs, boolean dynamic) {}

    /**
     * The signal names an expression reads by constant name ({@code signals.rps}, {@code
     * signals['arrival-rate']}), in source order; {@code dynamic} when it also reads the map as a
     * whole or by a computed key, so any signal may matter.
     */
    private static SignalUse signalUse(CelAbstractSyntaxTree ast) {
        List<SignalRef> refs = new ArrayList<>();
        boolean dynamic = false;
        Map<Long, Integer> positions = ast.getSource().getPositionsMap();
        List<CelNavigableExpr> idents = CelNavigableAst.fromAst(ast)
                .getRoot()
                .allNodes()
                .filter(node -> isVariable(ast, node.expr(), SIGNALS))
                .toList();
        for (CelNavigableExpr ident : idents) {
            Optional<String> name = constantKey(ident);
            if (name.isEmpty()) {
                dynamic = true;
                continue;
            }
            long id = ident.parent().orElseThrow().expr().id();
            refs.add(new SignalRef(name.get(), id, positions.getOrDefault(id, 0)));
        }
        refs.sort(Comparator.comparingInt(SignalRef::offset));
        return new SignalUse(List.copyOf(refs), dynamic);
    }

    private static Optional<String> constantKey(CelNavigableExpr ident) {
        Optional<CelNavigableExpr> parent = ident.parent();
        if (parent.isEmpty()) {
            return Optional.empty();
        }
        CelExpr expr = parent.get().expr();
        return switch (expr.getKind()) {
            case SELECT -> Optional.of(expr.select().field());
            case CALL -> {
                List<CelExpr> args = expr.call().args();
                if (expr.call().function().equals("_[_]")
                        && args.size() == 2
                        && args.get(0).id() == ident.expr().id()
                        && args.get(1).getKind() == CelExpr.ExprKind.Kind.CONSTANT
                        && args.get(1).constant().getKind() == CelConstant.Kind.STRING_VALUE) {
                    yield Optional.of(args.get(1).constant().stringValue());
                }
                yield Optional.empty();
            }
            default -> Optional.empty();
        };
    }

    private static boolean usesVariables(CelAbstractSyntaxTree ast) {
        return CelNavigableAst.fromAst(ast)
                .getRoot()
                .allNodes()
                .anyMatch(node -> VARIABLES.stream().anyMatch(name -> isVariable(ast, node.expr(), name)));
    }

    private static boolean isVariable(CelAbstractSyntaxTree ast, CelExpr expr, String name) {
        return expr.getKind() == CelExpr.ExprKind.Kind.IDENT
                && ast.getReference(expr.id()).map(CelReference::name).filter(name::equals).isPresent();
    }

    private static final class SingleTypeProvider implements dev.cel.common.types.CelTypeProvider {
        private final CelType type;

        SingleTypeProvider(CelType type) {
            this.type = type;
        }

        @Override
        public com.google.common.collect.ImmutableCollection<CelType> types() {
            return com.google.common.collect.ImmutableList.of(type);
        }

        @Override
        public Optional<CelType> findType(String name) {
            return type.name().equals(name) ? Optional.of(type) : Optional.empty();
        }
    }
}
