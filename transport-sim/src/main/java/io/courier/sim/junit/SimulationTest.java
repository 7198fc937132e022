package io.courier.sim.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A property checked over many seeds: the test method runs once per seed with a fresh, seeded
 * {@link io.courier.sim.Simulation} parameter.
 * <pre>{@code
 * @SimulationTest(seeds = 1000, faults = "dup=0.05&drop-ack=0.01&crash=0.01")
 * void chargesEachOrderOnce(Simulation sim) { ... }
 * }</pre>
 * On failure it prints the seed, writes the trace to {@code target/courier-sim/<class>.<method>-seed-<n>.trace}
 * and gives the command that reruns that seed alone ({@code -Dcourier.sim.seed=<n>}); later seeds are skipped.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@ExtendWith(SimulationExtension.class)
public @interface SimulationTest {
    /** How many seeds, starting at {@link #firstSeed()}. */
    int seeds() default 100;

    /** The first seed. */
    long firstSeed() default 1;

    /** Fault rates, as in a {@code sim://} URL query (without the seed). */
    String faults() default "dup=0.05&reorder=0.1&delay=0-200ms&drop-ack=0.01&disconnect=0.001&crash=0.01";

    /** Members competing in the group. */
    int members() default 2;

    /** Skip the remaining seeds after the first failure. */
    boolean stopAtFirstFailure() default true;
}
