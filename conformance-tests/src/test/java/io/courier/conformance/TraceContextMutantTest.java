package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.conformance.mutants.MutantFixture;
import io.courier.conformance.mutants.Mutants;
import org.junit.jupiter.api.Test;

/** C19 can fail: the broken transport that drops {@code traceparent} is caught by C19 alone (quicker than all mutants). */
class TraceContextMutantTest {
    @Test
    void droppingTraceparentFailsC19() {
        Mutants.Mutant m = Mutants.all().stream().filter(x -> x.name().equals("drops-traceparent")).findFirst().orElseThrow();
        ConformanceReport r = ConformanceRunner.runSuite(new MutantFixture(m), ConformanceRunner.testsOf("C19"), null);
        assertTrue(r.tests().stream().anyMatch(t -> t.status().equals("fail")), "C19 did not catch drops-traceparent: " + r.tests());
    }
}
