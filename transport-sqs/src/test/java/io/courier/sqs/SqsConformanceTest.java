package io.courier.sqs;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;

/** The whole delivery contract, C1–C16, against the real SQS API (ElasticMQ) of {@link SqsFixture}. */
class SqsConformanceTest extends ConformanceSuite {
    @Override
    protected TransportFixture fixture() {
        SqsFixture.requireBroker();
        return new SqsFixture();
    }
}
