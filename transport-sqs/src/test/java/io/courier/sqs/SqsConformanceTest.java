package io.courier.sqs;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The whole delivery contract, C1–C16, against the real SQS API (ElasticMQ) of {@link SqsFixture}. Before the run,
 * the queues that earlier conformance runs and benchmarks left on the local ElasticMQ are deleted: ElasticMQ restores
 * every persisted queue at start-up, and hundreds of them make each broker restart of the suite slower.
 */
class SqsConformanceTest extends ConformanceSuite {
    @Override
    protected TransportFixture fixture() {
        SqsFixture.requireBroker();
        return new SqsFixture();
    }

    @BeforeAll
    void deleteQueuesOfEarlierRuns() {
        SqsFixture.requireBroker();
        try (SqsClient sqs = SqsFixture.plainClient()) {
            for (String prefix : List.of("courier-ct-", "courier-bench-", "bench-")) {
                sqs.listQueuesPaginator(b -> b.queueNamePrefix(prefix)).queueUrls()
                        .forEach(url -> sqs.deleteQueue(b -> b.queueUrl(url)));
            }
        }
    }
}
