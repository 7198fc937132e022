package io.courier.kafka;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;

/** The whole delivery contract, C1–C16, against the real Kafka broker of {@link KafkaFixture}. */
class KafkaConformanceTest extends ConformanceSuite {
    @Override
    protected TransportFixture fixture() {
        KafkaFixture.requireBroker();
        return new KafkaFixture();
    }
}
