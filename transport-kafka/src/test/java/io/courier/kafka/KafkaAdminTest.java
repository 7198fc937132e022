package io.courier.kafka;

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
