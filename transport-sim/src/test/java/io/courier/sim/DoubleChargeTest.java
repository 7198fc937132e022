package io.courier.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.sim.example.ChargeWorkers;
import io.courier.sim.example.Ledger;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The README example, run as the issue asks: 1,000 seeds of the order workload. The naive worker is caught (its
 * seed printed, its trace written); the idempotent one survives every seed; all within a minute.
 */
class DoubleChargeTest {
    /** Rare faults: a naive worker survives most seeds, so that finding the bug takes a search. */
    static final String FAULTS = "reorder=0.1&delay=0-200ms&drop-ack=0.0002&crash=0.0002";
    static final int ORDERS = 10;

    /** The property: every account is charged exactly the sum of its orders. */
    static void chargesEachOrderOnce(Simulation sim, boolean fixed) {
        Ledger ledger = new Ledger();
        Map<String, Long> expected = new HashMap<>();
        for (int i = 0; i < ORDERS; i++) {
            String account = "acct-" + (i % 3);
            long cents = 100L * (i + 1);
            expected.merge(account, cents, Long::sum);
            sim.send(account + ":" + cents);
        }
        sim.run(fixed ? ChargeWorkers.idempotent(ledger) : ChargeWorkers.naive(ledger));
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            assertEquals(e.getValue(), ledger.balance(e.getKey()), "balance of " + e.getKey());
        }
    }

    @Test
    void theNaiveWorkerIsCaughtWithItsSeed() throws Exception {
        long t0 = System.nanoTime();
        Optional<SeedSearch.Failure> f = SeedSearch.over(1, 1_000, FAULTS, sim -> chargesEachOrderOnce(sim, false));
        double secs = (System.nanoTime() - t0) / 1e9;
        assertTrue(f.isPresent(), "1,000 seeds did not catch the double charge");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        SeedSearch.print(f.get(), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        System.out.printf("naive worker caught at seed %d after %.2f s%n", f.get().seed(), secs);
        assertTrue(text.contains("seed " + f.get().seed()) && text.contains("-Dcourier.sim.seed=" + f.get().seed()), text);
        assertTrue(Files.size(f.get().traceFile()) > 0, "trace file written");
        String trace = Files.readString(f.get().traceFile());
        assertTrue(trace.contains("fault "), "the trace shows the fault that exposed the bug");

        // replay: the failing seed fails again, with the same trace
        Simulation again = Simulation.seed(f.get().seed()).faults(FAULTS).build();
        try {
            chargesEachOrderOnce(again, false);
        } catch (AssertionError expected) {
            // the same failure
        }
        assertEquals(f.get().sha256(), again.trace().sha256(), "replaying the seed gives the same trace");
    }

    @Test
    void theIdempotentWorkerSurvivesAThousandSeedsWithinAMinute() {
        long t0 = System.nanoTime();
        Optional<SeedSearch.Failure> f = SeedSearch.over(1, 1_000, FAULTS, sim -> chargesEachOrderOnce(sim, true));
        double secs = (System.nanoTime() - t0) / 1e9;
        f.ifPresent(x -> SeedSearch.print(x, System.out));
        assertTrue(f.isEmpty(), "the idempotent worker failed");
        System.out.printf("1000 seeds x %d orders (%s): %.2f s, %.0f seeds/s%n", ORDERS, FAULTS, secs, 1000 / secs);
        assertTrue(secs < 60, "1,000 seeds took " + secs + " s");
    }

    @Test
    void seedsPerSecondWithAHundredOrdersPerSeed() {
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up
            long t0 = System.nanoTime();
            int seeds = 500;
            for (long seed = 1; seed <= seeds; seed++) {
                Simulation sim = Simulation.seed(seed).faults(SimCommandCore.DEFAULT_FAULTS).build();
                Ledger ledger = new Ledger();
                for (int i = 0; i < 100; i++) sim.send("acct-" + (i % 7) + ":" + (i + 1));
                sim.run(ChargeWorkers.idempotent(ledger));
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("round %d: %d seeds x 100 orders, every fault: %.2f s, %.0f seeds/s%n", round, seeds, secs, seeds / secs);
        }
    }

    @Test
    void theIdempotentWorkerSurvivesHeavyFaultsToo() {
        long t0 = System.nanoTime();
        Optional<SeedSearch.Failure> f = SeedSearch.over(1, 1_000, SimCommandCore.DEFAULT_FAULTS, sim -> chargesEachOrderOnce(sim, true));
        double secs = (System.nanoTime() - t0) / 1e9;
        f.ifPresent(x -> SeedSearch.print(x, System.out));
        assertTrue(f.isEmpty(), "the idempotent worker failed");
        System.out.printf("1000 seeds x %d orders (%s): %.2f s, %.0f seeds/s%n", ORDERS, SimCommandCore.DEFAULT_FAULTS, secs, 1000 / secs);
    }
}
