package io.courier.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.courier.sim.junit.SimulationTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/** {@link SimulationTest} as a user writes it: passing over many seeds, and failing with the seed and a rerun line. */
class SimulationTestExtensionTest {

    @SimulationTest(seeds = 300, faults = "dup=0.05&drop-ack=0.01&crash=0.01")
    void theIdempotentWorkerChargesEachOrderOnce(Simulation sim) {
        DoubleChargeTest.chargesEachOrderOnce(sim, true);
    }

    /** Run only through the engine test kit below: it is meant to fail. */
    static class NaiveWorkerProperty {
        @SimulationTest(seeds = 500, faults = "dup=0.05&drop-ack=0.01&crash=0.01")
        void chargesEachOrderOnce(Simulation sim) {
            DoubleChargeTest.chargesEachOrderOnce(sim, false);
        }
    }

    @Test
    void aFailingSeedIsReportedWithItsTraceAndARerunLineAndLaterSeedsAreSkipped() {
        Events events = EngineTestKit.engine("junit-jupiter").configurationParameter("junit.jupiter.conditions.deactivate", "")
                .selectors(selectClass(NaiveWorkerProperty.class)).execute().testEvents();
        List<Event> failed = events.failed().list();
        assertEquals(1, failed.size(), "exactly one seed fails, the others are skipped");
        Throwable t = failed.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
        String msg = t.getMessage();
        System.out.println(msg);
        assertTrue(msg.matches("(?s)simulation failed with seed \\d+ .*"), msg);
        assertTrue(msg.contains("trace: ") && msg.contains(".trace ("), msg);
        assertTrue(msg.contains("-Dcourier.sim.seed="), msg);
        assertTrue(msg.contains("NaiveWorkerProperty#chargesEachOrderOnce"), msg);
        assertTrue(events.skipped().count() > 0, "seeds after the failure are skipped");
    }
}
