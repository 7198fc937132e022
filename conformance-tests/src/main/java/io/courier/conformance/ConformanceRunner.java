package io.courier.conformance;

import io.courier.Courier;
import io.courier.conformance.mutants.MutantFixture;
import io.courier.conformance.mutants.Mutants;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs the suite programmatically: against any URL ({@code ./courier conformance URL}), and against the
 * deliberately broken transports, to prove that the suite can fail.
 */
public final class ConformanceRunner {
    private ConformanceRunner() {}

    /**
     * Runs the suite {@code repeat} times against {@code url}, prints the clause table, writes the JSON report (and a
     * Markdown one beside it) and returns the exit code: 0 when no clause failed (and, for {@code mem://}, every broken
     * transport was caught), 1 otherwise. Throws the {@link io.courier.CourierException} of a URL that cannot be
     * opened, before running anything.
     */
    public static int run(String url, String restartCommand, Path report, int repeat, PrintStream out) {
        return run(url, restartCommand, 0, report, repeat, out);
    }

    /**
     * As {@link #run(String, String, Path, int, PrintStream)}, with {@code kafkaProxyListener} (0: none) the port of
     * a Kafka broker's listener that advertises the cut tests' proxy ({@link KafkaProxiedListener}).
     */
    public static int run(String url, String restartCommand, int kafkaProxyListener, Path report, int repeat, PrintStream out) {
        new UrlFixture(url, restartCommand, false, kafkaProxyListener); // fails fast on a proxied listener that is not one
        Courier.connect(url).close(); // and, with a clear message, on a bad URL or an unreachable broker
        boolean ok = true;
        for (int i = 1; i <= Math.max(1, repeat); i++) {
            if (repeat > 1) out.println("== run " + i + " of " + repeat);
            UrlFixture fixture = new UrlFixture(url, restartCommand, false, kafkaProxyListener);
            ConformanceReport r = runSuite(fixture, null, out);
            if (fixture.name().equals("mem")) runMutants(out).forEach(r::addMutant);
            Path written = r.writeTo(report != null ? report : ConformanceReport.defaultDir().resolve(fixture.name() + ".json"));
            out.println();
            out.print(r.toMarkdown());
            out.println("report: " + written.toAbsolutePath());
            ok &= r.passed(false);
        }
        return ok ? 0 : 1;
    }

    /**
     * Runs the whole suite ({@code methods} null) or only the named test methods on a fixture; returns its report. One
     * run at a time: the fixture reaches {@link FixtureSuite} through static fields.
     */
    public static synchronized ConformanceReport runSuite(TransportFixture fixture, List<String> methods, PrintStream progress) {
        FixtureSuite.next = fixture;
        FixtureSuite.last = null;
        FixtureSuite.write = false;
        List<DiscoverySelector> selectors = new ArrayList<>();
        if (methods == null) selectors.add(DiscoverySelectors.selectClass(FixtureSuite.class));
        else methods.forEach(m -> selectors.add(DiscoverySelectors.selectMethod(FixtureSuite.class, m)));
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary, progressListener(progress));
        if (FixtureSuite.last == null) throw new IllegalStateException("the suite did not run: " + summary.getSummary().getFailures());
        return FixtureSuite.last;
    }

    /** The names of the suite's tests of one clause, in declaration order. */
    public static List<String> testsOf(String clause) {
        List<String> out = new ArrayList<>();
        for (Class<?> k = ConformanceSuite.class; k != null; k = k.getSuperclass()) { // the suite and its clause families
            for (Method m : k.getDeclaredMethods()) {
                Clause c = m.getAnnotation(Clause.class);
                if (c != null && c.value().equals(clause)) out.add(m.getName());
            }
        }
        out.sort(null);
        return out;
    }

    /** Runs each broken transport against its clause's tests; a mutant is caught when at least one test fails. */
    public static synchronized List<ConformanceReport.Mutant> runMutants(PrintStream out) {
        String saved = System.getProperty("courier.conformance.messages");
        String savedTimeout = System.getProperty("courier.conformance.timeoutSeconds");
        System.setProperty("courier.conformance.messages", "2000");
        System.setProperty("courier.conformance.timeoutSeconds", "10"); // on mem:// everything arrives in well under a second

        try {
            List<ConformanceReport.Mutant> results = new ArrayList<>();
            for (Mutants.Mutant m : Mutants.all()) {
                ConformanceReport.TestResult failed = null;
                for (String test : testsOf(m.clause())) { // stop at the first test that catches it
                    ConformanceReport r = runSuite(new MutantFixture(m), List.of(test), null);
                    failed = r.tests().stream().filter(t -> t.status().equals("fail")).findFirst().orElse(null);
                    if (failed != null) break;
                }
                boolean caught = failed != null;
                String detail = caught ? failed.test() + ": " + failed.detail() : "no test of " + m.clause() + " failed";
                results.add(new ConformanceReport.Mutant(m.name(), m.clause(), caught, detail));
                if (out != null) out.printf("broken transport %-28s %-4s %s%n", m.name(), m.clause(), caught ? "caught by " + failed.test() : "NOT CAUGHT");
            }
            return results;
        } finally {
            restore("courier.conformance.messages", saved);
            restore("courier.conformance.timeoutSeconds", savedTimeout);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key); else System.setProperty(key, value);
    }

    private static TestExecutionListener progressListener(PrintStream out) {
        return new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (out == null || !id.isTest()) return;
                String status = switch (result.getStatus()) {
                    case SUCCESSFUL -> "pass";
                    case ABORTED -> "skip";
                    case FAILED -> "FAIL";
                };
                out.printf("  %-4s %s%s%n", status, id.getDisplayName(),
                        result.getThrowable().map(t -> "  — " + String.valueOf(t.getMessage()).lines().findFirst().orElse("")).orElse(""));
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (out != null && id.isTest()) out.printf("  skip %s  — %s%n", id.getDisplayName(), reason);
            }
        };
    }

    /** Clause titles, for callers that print their own tables. */
    public static Map<String, String> titles() { return ConformanceReport.TITLES; }
}
