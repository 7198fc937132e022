package io.courier.nats;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;

/** The whole delivery contract, C1–C16, against the real nats-server with JetStream of {@link NatsFixture}. */
class NatsConformanceTest extends ConformanceSuite {
    @Override
    protected TransportFixture fixture() {
        NatsFixture.requireBroker();
        return new NatsFixture();
    }
}
