package io.courier.http;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;
import org.junit.jupiter.api.AfterAll;

/** The whole delivery contract, C1–C16, against a real hub process that is killed with SIGKILL on restarts. */
class HttpConformanceTest extends ConformanceSuite {
    private HubFixture hub;

    @Override
    protected TransportFixture fixture() {
        hub = new HubFixture("conformance");
        return hub;
    }

    @AfterAll
    void stopHub() { if (hub != null) hub.close(); }
}
