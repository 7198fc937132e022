package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.conformance.mutants.Mutants;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The suite on {@code mem://}, the reference transport, plus the proof that the suite can fail: every deliberately
 * broken transport must be caught by its clause. The mutants are listed in {@code mem.json}.
 */
class MemConformanceTest extends ConformanceSuite {
    private final List<ConformanceReport.Mutant> mutants = new ArrayList<>();

    @Override
    protected TransportFixture fixture() { return new UrlFixture("mem://conformance", null, true); }

    @Test
    @org.junit.jupiter.api.Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES)
    void everyBrokenTransportIsCaughtByItsClause() {
        mutants.addAll(ConformanceRunner.runMutants(System.out));
        assertTrue(mutants.size() >= Mutants.all().size());
        List<String> escaped = mutants.stream().filter(m -> !m.caught()).map(m -> m.name() + " (" + m.clause() + ")").toList();
        assertTrue(escaped.isEmpty(), "broken transports not caught: " + escaped);
    }

    @Override
    protected void beforeReport(ConformanceReport r) { mutants.forEach(r::addMutant); }
}
