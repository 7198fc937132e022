package io.courier.sqs;

import io.courier.conformance.AdminScenario;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * stats and deleteGroup on ElasticMQ: the backlog counted (ElasticMQ counts exactly), the runtime's dead letter
 * counted, and after the delete no queue of the group left, as a plain SDK {@code ListQueues} shows them.
 */
class SqsAdminTest {

    @Test
    void groupsListsTheGroupsByTheirCourierNamesLookAlikesApartAndNoMoreOnceDeleted() throws Exception {
        SqsFixture.requireBroker();
        AdminScenario.listing(new SqsFixture().url());
    }

    @Test
    void statsCountsTheBacklogAndTheDeadLetterAndDeleteLeavesNoQueue() throws Exception {
        SqsFixture.requireBroker();
        new AdminScenario(new SqsFixture().url(), SqsAdminTest::queuesOf, 0).run();
    }

    /** Queues named {@code courier-<escaped group>}, its FIFO queue and its members' queues, as ListQueues lists them. */
    private static Set<String> queuesOf(String group) {
        String base = "courier-" + group.replace("_", "__").replace(".", "_o");
        Set<String> found = new TreeSet<>();
        try (SqsClient sqs = SqsFixture.plainClient()) {
            for (String url : sqs.listQueues(b -> b.queueNamePrefix(base)).queueUrls()) {
                String name = url.substring(url.lastIndexOf('/') + 1);
                if (name.equals(base) || name.equals(base + "_k.fifo") || name.startsWith(base + "_m_")) found.add(name);
            }
        }
        return found;
    }
}
