/**
 * JUnit 5 support: {@link io.courier.sim.junit.SimulationTest} runs a test once per seed with a seeded
 * {@link io.courier.sim.Simulation}; on failure it prints the seed, the trace file and the rerun command. Needs
 * {@code junit-jupiter-api} on the class path (an optional dependency of this module).
 */
package io.courier.sim.junit;
