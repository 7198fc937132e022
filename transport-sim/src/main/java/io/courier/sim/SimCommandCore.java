package io.courier.sim;

import io.courier.RetryPolicy;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The core of {@code ./courier sim --seed 42 --tasks 1000}: a seeded simulation of {@code tasks} tasks handled by
 * an idempotent worker (it completes each task id once and fails transiently 10 % of the time) under every fault;
 * prints the counts and {@code trace-sha256 <64 hex>}. Same seed, same output.
 */
public final class SimCommandCore {
    /** The faults the command runs with unless told otherwise. */
    public static final String DEFAULT_FAULTS = "dup=0.05&reorder=0.1&delay=0-200ms&drop-ack=0.01&disconnect=0.001&crash=0.01";

    private SimCommandCore() {}

    /** Runs with {@link #DEFAULT_FAULTS}. Returns the exit code: 0 when every task completed exactly once. */
    public static int run(long seed, int tasks, PrintStream out) { return run(seed, tasks, DEFAULT_FAULTS, out); }

    /**
     * Runs {@code tasks} tasks with the given faults (a {@code sim://} query; its seed, if any, is replaced by
     * {@code seed}) and prints the counts, then {@code trace-sha256 <hex>} as the last line. Returns 0 when every
     * task completed exactly once (acked or dead-lettered, none twice), 1 otherwise.
     */
    public static int run(long seed, int tasks, String faults, PrintStream out) {
        if (tasks < 0) throw new IllegalArgumentException("tasks must be 0 or more, got " + tasks);
        long t0 = System.nanoTime();
        Simulation sim = Simulation.seed(seed).faults(faults).members(4).prefetch(16)
                .retry(RetryPolicy.exponential(5, Duration.ofMillis(200), Duration.ofSeconds(30)))
                .build();
        for (int i = 0; i < tasks; i++) sim.send("task " + i);
        Set<String> completed = new HashSet<>();
        Map<String, Integer> handled = new HashMap<>();
        Simulation.Result r = sim.run(d -> {
            String id = d.message().id();
            handled.merge(id, 1, Integer::sum);
            if (completed.contains(id)) return; // idempotent: a duplicate or a redelivery of a done task
            if (sim.random().nextDouble() < 0.1) throw new IllegalStateException("transient failure of " + id);
            completed.add(id);
        });
        long dead = sim.deadLetters().size();
        long twice = handled.values().stream().filter(n -> n > 1).count();
        boolean ok = completed.size() + dead == tasks;
        out.println("sim seed=" + seed + " tasks=" + tasks + " faults=" + Faults.parse(faults).withSeed(seed));
        out.println("sent " + r.sent() + "  delivered " + r.delivered() + "  redelivered " + r.redelivered() + "  acked " + r.acked()
                + "  nacked " + r.nacked() + "  dead-lettered " + r.deadLettered());
        out.println("faults " + r.faults() + " " + r.trace().faultCounts());
        out.println("tasks completed " + completed.size() + "  dead-lettered " + dead + "  handled more than once " + twice
                + " (absorbed by idempotency)  " + (ok ? "OK" : "MISSING " + (tasks - completed.size() - dead)));
        out.println("virtual-time " + Duration.ofMillis(r.virtualMillis()) + "  wall-time " + (System.nanoTime() - t0) / 1_000_000
                + " ms  events " + r.trace().size());
        out.println("trace-sha256 " + r.trace().sha256());
        return ok ? 0 : 1;
    }
}
