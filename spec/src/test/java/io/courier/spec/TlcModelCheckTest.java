package io.courier.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Model-checks the delivery contract (Courier.tla through MCCourier.tla) with TLC, and checks that the model can
 * fail: each flawed variant (a flag constant set in its own .cfg) must give a counterexample to the expected
 * invariant or property.
 */
class TlcModelCheckTest {

    @Test
    void contractHoldsWithLiveness() {
        Tlc.Run r = Tlc.check("MCCourier");
        System.out.println(r.figures());
        assertTrue(r.noError(), () -> "TLC found an error in the correct contract:\n" + r.output());
        assertEquals(0, r.exitCode(), r::output);
        assertTrue(r.distinct() > 1000, "the model is too small to mean anything: " + r.figures());
    }

    @Test
    void leaseExpiryNotCountedBreaksC15() {
        expectViolation("FlawExpiryUncounted", "Invariant AttemptsBounded is violated");
    }

    @Test
    void staleAckAcceptedChangesState() {
        expectViolation("FlawStaleAck", "Action property StaleSettlementInert is violated");
    }

    @Test
    void keyReleasedBeforeAckBreaksC9() {
        expectViolation("FlawKeyEarly", "Invariant KeyOrder is violated");
    }

    private static void expectViolation(String config, String expected) {
        Tlc.Run r = Tlc.check(config);
        System.out.println(r.figures() + " -> " + expected);
        assertTrue(r.output().contains(expected), () -> "expected '" + expected + "' from TLC:\n" + r.output());
        assertTrue(r.output().contains("The behavior up to this point is"), "no counterexample printed");
        assertTrue(r.exitCode() != 0, "TLC exit code should report the violation");
    }
}
