package io.courier.sim;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs a property over many seeds and reports the first that fails, with its trace written to a file and the
 * one-line way to replay it. The engine under {@link io.courier.sim.junit.SimulationTest}, usable without JUnit:
 * <pre>{@code
 * Optional<SeedSearch.Failure> f = SeedSearch.over(1, 1000, "dup=0.05&crash=0.01", sim -> {
 *     ... sim.send(...); sim.run(worker); assert ...;
 * });
 * }</pre>
 */
public final class SeedSearch {
    /** System property that restricts a search to one seed: {@code -Dcourier.sim.seed=1234}. */
    public static final String SEED_PROPERTY = "courier.sim.seed";
    /** System property naming the folder for trace files of failing seeds (default {@code target/courier-sim}). */
    public static final String DIR_PROPERTY = "courier.sim.dir";

    private SeedSearch() {}

    /** A property of a program under simulation: throws (e.g. an {@link AssertionError}) when it does not hold. */
    @FunctionalInterface
    public interface Property {
        void check(Simulation sim) throws Exception;
    }

    /**
     * A seed for which the property failed.
     *
     * @param seed      the seed
     * @param faults    the faults it ran with
     * @param traceFile where its trace was written
     * @param sha256    the trace's hash
     * @param events    number of trace events
     * @param cause     what the property threw
     */
    public record Failure(long seed, Faults faults, Path traceFile, String sha256, int events, Throwable cause) {
        /** A multi-line explanation: the seed, the cause, the trace file and {@code rerun}, the way to replay. */
        public String describe(String rerun) {
            return "simulation failed with seed " + seed + " (" + faults + "): " + cause + "\n"
                    + "  trace: " + traceFile.toAbsolutePath() + " (" + events + " events, sha256 " + sha256 + ")\n"
                    + "  rerun this seed alone: " + rerun;
        }
    }

    /**
     * Runs {@code property} on a fresh simulation for each seed from {@code firstSeed} ({@code count} seeds; only the
     * seed of {@code -Dcourier.sim.seed} when set), with the given faults; stops at the first failure.
     */
    public static Optional<Failure> over(long firstSeed, int count, String faults, Property property) {
        Faults f = Faults.parse(faults);
        for (long seed : seeds(firstSeed, count)) {
            Simulation sim = Simulation.seed(seed).faults(f).build();
            Throwable t = attempt(sim, property);
            if (t != null) return Optional.of(failure(sim, t, "seed-" + seed));
        }
        return Optional.empty();
    }

    /** Like {@link #over}, but builds each simulation itself (members, retry policy …) from the seed. */
    public static Optional<Failure> over(long firstSeed, int count, java.util.function.LongFunction<Simulation> factory, Property property) {
        for (long seed : seeds(firstSeed, count)) {
            Simulation sim = factory.apply(seed);
            Throwable t = attempt(sim, property);
            if (t != null) return Optional.of(failure(sim, t, "seed-" + seed));
        }
        return Optional.empty();
    }

    /** The seeds to run: only {@code -Dcourier.sim.seed} when set, otherwise {@code firstSeed .. firstSeed+count-1}. */
    public static long[] seeds(long firstSeed, int count) {
        String one = System.getProperty(SEED_PROPERTY);
        if (one != null && !one.isBlank()) return new long[] {Long.parseLong(one.trim())};
        long[] s = new long[count];
        for (int i = 0; i < count; i++) s[i] = firstSeed + i;
        return s;
    }

    /** Writes the trace of a failed simulation to {@code <dir>/<name>.trace} and describes the failure. */
    public static Failure failure(Simulation sim, Throwable cause, String name) {
        Path dir = Path.of(System.getProperty(DIR_PROPERTY, "target/courier-sim"));
        Trace trace = sim.trace();
        Path file = trace.write(dir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".trace"));
        return new Failure(sim.seed(), sim.faults(), file, trace.sha256(), trace.size(), cause);
    }

    /** Prints a failure with a generic rerun hint. */
    public static void print(Failure f, PrintStream out) {
        out.println(f.describe("-D" + SEED_PROPERTY + "=" + f.seed()));
    }

    private static Throwable attempt(Simulation sim, Property property) {
        try {
            property.check(sim);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
