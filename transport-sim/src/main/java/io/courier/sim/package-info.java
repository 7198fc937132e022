/**
 * {@code sim://}: deterministic simulation of at-least-once delivery with seeded faults and replay.
 * {@link io.courier.sim.Simulation} drives delivery itself, single-threaded on virtual time (same seed, same
 * {@link io.courier.sim.Trace}); {@link io.courier.sim.SimProvider} / {@link io.courier.sim.SimTransport} inject the
 * same {@link io.courier.sim.Faults} at the SPI under the normal runtime; {@link io.courier.sim.SeedSearch} and
 * {@link io.courier.sim.junit.SimulationTest} run a property over many seeds; {@link io.courier.sim.SimCommandCore}
 * is the core of {@code ./courier sim}.
 */
package io.courier.sim;
