package io.courier.nats;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole delivery contract, C1–C16, against the real nats-server with JetStream of {@link NatsFixture}. Before
 * the run, the streams that earlier conformance runs and benchmarks left on the local server are deleted: every one
 * has its file store and about ten durable consumers, and the server recovers them all at each restart of the suite.
 * (A benchmark running at the same moment on the same server would lose its stream: run them one after the other.)
 */
class NatsConformanceTest extends ConformanceSuite {
    @Override
    protected TransportFixture fixture() {
        NatsFixture.requireBroker();
        return new NatsFixture();
    }

    @BeforeAll
    void deleteStreamsOfEarlierRuns() throws Exception {
        NatsFixture.requireBroker();
        try (Connection nc = Nats.connect("nats://" + NatsFixture.HOST + ":" + NatsFixture.PORT)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            for (String stream : jsm.getStreamNames()) {
                if (stream.startsWith("COURIER_ct-") || stream.startsWith("COURIER_bench-") || stream.startsWith("bench-")) {
                    jsm.deleteStream(stream);
                }
            }
        }
    }
}
