package io.courier.sim;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;

/** The whole suite on {@code sim://} with every fault off: it must pass like {@code mem://}. */
class SimConformanceTest extends ConformanceSuite {
    @Override
    protected TransportFixture fixture() { return new SimFixture("sim", "conformance", "seed=1"); }
}
