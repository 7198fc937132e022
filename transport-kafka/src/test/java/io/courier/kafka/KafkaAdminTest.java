package io.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.conformance.AdminScenario;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.junit.jupiter.api.Test;

/**
 * stats and deleteGroup on the real Kafka: the backlog (lag) counted exactly, the runtime's dead letter counted, and
 * after the delete no topic and no consumer group of the group left, as a plain AdminClient lists them.
 */
class KafkaAdminTest {

    @Test
    void groupsListsTheGroupsByTheirCourierNamesLookAlikesApartAndNoMoreOnceDeleted() throws Exception {
        KafkaFixture.requireBroker();
        AdminScenario.listing(new KafkaFixture().url());
    }

    @Test
    void statsCountsTheLagAndTheDeadLetterAndDeleteLeavesNoTopicOrConsumerGroup() throws Exception {
        KafkaFixture.requireBroker();
        new AdminScenario(new KafkaFixture().url(), KafkaAdminTest::topicsAndGroupsOf, 0).run();
    }

    @Test
    void aGroupShortenedWithAHashIsListedOpaqueCountedAndDeleted() throws Exception {
        KafkaFixture.requireBroker();
        String start = "lst-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "-";
        String group = start + "_".repeat(100 - start.length()); // escaped to over 249 characters: cut with a hash
        try (io.courier.Courier courier = io.courier.Courier.connect(new KafkaFixture().url())) {
            io.courier.spi.Admin admin = courier.transport().admin().orElseThrow();
            courier.send(java.util.List.of(io.courier.Message.to("any@" + group).id("a").build())).join();
            io.courier.spi.GroupListing listed = admin.groups(start);
            assertEquals(java.util.List.of(), listed.groups(), "its name cannot be read back");
            assertEquals(java.util.List.of(new Topics("courier.").group(group).topic()), listed.opaque(), "listed by its topic name");
            assertEquals(java.util.OptionalLong.of(1), admin.stats(group).backlog(), "counted by its full name");
            assertTrue(admin.deleteGroup(group), "deleted by its full name");
            assertEquals(java.util.List.of(), admin.groups(start).opaque(), "gone");
        }
    }

    /** Topics and consumer groups named {@code courier.<escaped group>} or {@code courier.<escaped group>.…}. */
    private static Set<String> topicsAndGroupsOf(String group) throws Exception {
        String base = "courier." + Topics.escape(group);
        Set<String> found = new TreeSet<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.BOOTSTRAP))) {
            for (String t : admin.listTopics().names().get(30, TimeUnit.SECONDS)) {
                if (t.equals(base) || t.startsWith(base + ".")) found.add("topic " + t);
            }
            for (GroupListing g : admin.listGroups().all().get(30, TimeUnit.SECONDS)) {
                if (g.groupId().equals(base) || g.groupId().startsWith(base + ".")) found.add("consumer group " + g.groupId());
            }
        }
        return found;
    }
}
