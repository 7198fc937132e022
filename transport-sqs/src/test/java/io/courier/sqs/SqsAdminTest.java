package io.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void aLongGroupShortenedWithAHashIsListedOpaqueCountedAndDeleted() throws Exception {
        SqsFixture.requireBroker();
        String group = "lst-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "-" + "l".repeat(80);
        try (io.courier.Courier courier = io.courier.Courier.connect(new SqsFixture().url())) {
            io.courier.spi.Admin admin = courier.transport().admin().orElseThrow();
            courier.send(java.util.List.of(io.courier.Message.to("any@" + group).id("a").build())).join();
            io.courier.spi.GroupListing listed = admin.groups(group.substring(0, 12));
            assertEquals(java.util.List.of(), listed.groups(), "its name cannot be read back");
            assertEquals(1, listed.opaque().size(), "listed by its queue name: " + listed);
            assertEquals(java.util.OptionalLong.of(1), admin.stats(group).backlog(), "counted by its full name");
            assertTrue(admin.deleteGroup(group), "deleted by its full name");
            assertEquals(0, admin.groups(group.substring(0, 12)).opaque().size(), "gone");
        }
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
