package io.courier.sim.junit;

import io.courier.sim.Faults;
import io.courier.sim.SeedSearch;
import io.courier.sim.Simulation;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * Runs a {@link SimulationTest} once per seed; resolves its {@link Simulation} parameter; on failure writes the
 * trace and rethrows with the seed, the trace file and the rerun command.
 */
public final class SimulationExtension implements TestTemplateInvocationContextProvider {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SimulationExtension.class);

    @Override
    public boolean supportsTestTemplate(ExtensionContext ctx) {
        return ctx.getTestMethod().map(m -> m.isAnnotationPresent(SimulationTest.class)).orElse(false);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext ctx) {
        SimulationTest spec = ctx.getRequiredTestMethod().getAnnotation(SimulationTest.class);
        Faults faults = Faults.parse(spec.faults());
        return Arrays.stream(SeedSearch.seeds(spec.firstSeed(), spec.seeds()))
                .mapToObj(seed -> new SeedInvocation(seed, faults, spec));
    }

    /** One seed's run of the template. */
    private record SeedInvocation(long seed, Faults faults, SimulationTest spec) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) { return "seed " + seed; }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(new SeedResolver(this), new SkipAfterFailure(spec), new FailureReporter(this));
        }
    }

    private record SeedResolver(SeedInvocation inv) implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
            return p.getParameter().getType() == Simulation.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
            Simulation sim = Simulation.seed(inv.seed).faults(inv.faults).members(inv.spec.members()).build();
            ctx.getStore(NS).put("sim", sim);
            return sim;
        }
    }

    private record SkipAfterFailure(SimulationTest spec) implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext ctx) {
            Object failed = ctx.getParent().map(p -> p.getStore(NS).get("failed-seed")).orElse(null);
            return spec.stopAtFirstFailure() && failed != null
                    ? ConditionEvaluationResult.disabled("seed " + failed + " already failed")
                    : ConditionEvaluationResult.enabled("no seed failed yet");
        }
    }

    private record FailureReporter(SeedInvocation inv) implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext ctx, Throwable cause) throws Throwable {
            Simulation sim = ctx.getStore(NS).get("sim", Simulation.class);
            if (sim == null) throw cause;
            ctx.getParent().ifPresent(p -> p.getStore(NS).put("failed-seed", inv.seed));
            String cls = ctx.getRequiredTestClass().getName();
            String method = ctx.getRequiredTestMethod().getName();
            SeedSearch.Failure f = SeedSearch.failure(sim, cause, ctx.getRequiredTestClass().getSimpleName() + "." + method + "-seed-" + inv.seed);
            String rerun = "./mvnw test -Dtest='" + cls.substring(cls.lastIndexOf('.') + 1) + "#" + method + "' -D"
                    + SeedSearch.SEED_PROPERTY + "=" + inv.seed;
            String text = f.describe(rerun);
            System.err.println(text);
            AssertionError e = new AssertionError(text, cause);
            throw e;
        }
    }
}
