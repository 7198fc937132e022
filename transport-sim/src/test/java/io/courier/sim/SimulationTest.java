package io.courier.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Destination;
import io.courier.InvalidUrlException;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Determinism, retry/dead-letter semantics, virtual time and the fault model of {@link Simulation}. */
class SimulationTest {

    /** A workload that exercises every path: transient failures, a poison message, ordering keys. */
    static Simulation.Result workload(long seed, String faults) {
        Simulation sim = Simulation.seed(seed).faults(faults).members(3).retry(RetryPolicy.exponential(4, Duration.ofMillis(100), Duration.ofSeconds(5))).build();
        for (int i = 0; i < 200; i++) {
            sim.send(Message.to(Destination.any("sim")).id("k-" + i).orderingKey(i % 4 == 0 ? "key-" + (i % 3) : null).payload("p" + i).build());
        }
        Set<String> done = new HashSet<>();
        sim.run(d -> {
            if (d.message().id().equals("k-13")) throw new IllegalStateException("poison");
            if (sim.random().nextDouble() < 0.2) throw new IllegalStateException("transient");
            done.add(d.message().id());
        });
        return sim.result();
    }

    @Test
    void theSameSeedGivesTheSameTrace() {
        for (String faults : List.of("", SimCommandCore.DEFAULT_FAULTS)) {
            Simulation.Result a = workload(42, faults), b = workload(42, faults);
            assertEquals(a.trace().text(), b.trace().text(), "faults=" + faults);
            assertEquals(a.trace().sha256(), b.trace().sha256());
            assertTrue(a.trace().sha256().matches("[0-9a-f]{64}"));
        }
    }

    @Test
    void differentSeedsGiveDifferentTraces() {
        Set<String> hashes = new HashSet<>();
        for (long seed = 1; seed <= 20; seed++) hashes.add(workload(seed, SimCommandCore.DEFAULT_FAULTS).trace().sha256());
        assertEquals(20, hashes.size(), "20 seeds should give 20 different traces");
        assertNotEquals(workload(1, "").trace().sha256(), workload(2, "").trace().sha256(), "without faults the seed still picks the members");
    }

    @Test
    void anAlwaysFailingHandlerRunsMaxAttemptsTimesThenIsDeadLetteredWithTheRuntimesHeaders() {
        Simulation sim = Simulation.seed(7).retry(RetryPolicy.exponential(4, Duration.ofMinutes(10), Duration.ofHours(1))).build();
        Message m = sim.send(Message.to("any@sim").id("order-1").header("x-tenant", "acme").payload("x").build());
        List<Integer> attempts = new ArrayList<>();
        long t0 = System.nanoTime();
        Simulation.Result r = sim.run(d -> {
            attempts.add(d.attempt());
            throw new IllegalStateException("always fails");
        });
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "backoffs of 10, 20, 40 minutes run on virtual time");
        assertEquals(List.of(1, 2, 3, 4), attempts);
        assertTrue(r.virtualMillis() >= Duration.ofMinutes(8 + 16 + 32).toMillis(), "virtual time covers the backoffs: " + r.virtualMillis());
        assertEquals(1, sim.deadLetters().size());
        Message dead = sim.deadLetters().get(0);
        assertEquals(Destination.any("sim.dlq"), dead.destination());
        assertEquals("4", dead.headers().get(Message.ATTEMPTS));
        assertEquals("acme", dead.headers().get("x-tenant"));
        assertEquals(m.destination().toString(), dead.headers().get(Message.ORIGINAL_DESTINATION));
        assertTrue(dead.headers().get(Message.DEAD_LETTER_REASON).contains("failed 4 of maxAttempts=4"), dead.headers().toString());
        assertTrue(dead.headers().get(Message.DEAD_LETTER_REASON).contains("always fails"));
    }

    @Test
    void aNonRetryableFailureIsDeadLetteredAtOnce() {
        Simulation sim = Simulation.seed(3).build();
        sim.send("bad");
        int[] runs = {0};
        sim.run(d -> { runs[0]++; throw new NonRetryableException("invalid order"); });
        assertEquals(1, runs[0]);
        assertTrue(sim.deadLetters().get(0).headers().get(Message.DEAD_LETTER_REASON).startsWith("not retryable: "));
    }

    @Test
    void anHourOfLostAcksRunsInMilliseconds() {
        Simulation sim = Simulation.seed(5).faults("drop-ack=0.5").ackDeadline(Duration.ofMinutes(5)).retry(RetryPolicy.immediate(100)).build();
        for (int i = 0; i < 100; i++) sim.send("m" + i);
        long t0 = System.nanoTime();
        Simulation.Result r = sim.run(d -> {});
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.virtualMillis() >= Duration.ofMinutes(30).toMillis(), "virtual " + Duration.ofMillis(r.virtualMillis()));
        assertTrue(ms < 2_000, "took " + ms + " ms of wall time");
        assertTrue(r.redelivered() > 50, "lost acks are redelivered: " + r.summary());
        System.out.println("lost acks: " + r.summary() + " wall " + ms + " ms");
    }

    @Test
    void underEveryFaultNothingIsLostAndKeysStayInOrder() {
        for (long seed = 1; seed <= 50; seed++) {
            Simulation sim = Simulation.seed(seed).faults("dup=0.2&reorder=0.5&delay=0-2s&drop-ack=0.05&disconnect=0.01&crash=0.05")
                    .members(3).retry(RetryPolicy.immediate(50)).build();
            Map<String, Integer> lastOfKey = new HashMap<>();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                sim.send(Message.to("any@sim").id("m-" + i).orderingKey("k" + (i % 5)).payload(Integer.toString(i)).build());
            }
            long s = seed;
            sim.run(d -> {
                int n = Integer.parseInt(d.message().payloadUtf8());
                int last = lastOfKey.getOrDefault(d.message().orderingKey(), -1);
                assertTrue(n >= last, "seed " + s + ": " + d.message().id() + " after message " + last + " of its key");
                lastOfKey.put(d.message().orderingKey(), n);
                seen.add(d.message().id());
            });
            assertEquals(100, seen.size(), "seed " + seed + " lost messages");
            assertTrue(sim.deadLetters().isEmpty(), "seed " + seed + ": " + sim.deadLetters());
        }
    }

    @Test
    void aProgramThatKeepsProducingWorkStopsAtTheVirtualTimeLimit() {
        Simulation sim = Simulation.seed(1).build();
        sim.send("tick");
        int[] ticks = {0};
        Simulation.Result r = sim.run(d -> {
            ticks[0]++;
            sim.send(Message.to("any@sim").id("tick-" + ticks[0]).notBefore(sim.clock().instant().plusSeconds(60)).payload("tick").build());
        }, Duration.ofHours(1));
        assertEquals(60, ticks[0], "one tick a minute during [0, 1 h): the limit itself is excluded");
        assertEquals(Duration.ofHours(1).toMillis(), r.virtualMillis());
    }

    @Test
    void faultParametersAreValidatedAndDocumented() {
        assertThrows(InvalidUrlException.class, () -> Faults.parse("dup=1.5"));
        assertThrows(InvalidUrlException.class, () -> Faults.parse("delay=200-100ms"));
        InvalidUrlException e = assertThrows(InvalidUrlException.class, () -> Faults.parse("duplicate=0.1"));
        assertTrue(e.getMessage().contains("dup"), e.getMessage());
        Faults f = Faults.parse("seed=9&dup=0.05&delay=0-200ms&crash=0.01");
        assertEquals(Duration.ofMillis(200), f.delayMax());
        assertEquals(f, Faults.parse(f.toQuery()));
        for (var p : Faults.PARAMETERS) assertTrue(!p.description().isBlank(), p.name());
    }
}
