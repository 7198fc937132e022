package io.courier.nats;

import io.courier.conformance.AdminScenario;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * stats and deleteGroup on the real nats-server: the backlog counted exactly, the runtime's dead letter counted,
 * and after the delete no stream and no consumer of the group left, as JetStream management lists them.
 */
class NatsAdminTest {
    private static final String URL = "nats://" + NatsFixture.HOST + ":" + NatsFixture.PORT;

    @Test
    void groupsListsTheGroupsByTheirCourierNamesLookAlikesApartAndNoMoreOnceDeleted() throws Exception {
        NatsFixture.requireBroker();
        AdminScenario.listing(URL);
    }

    @Test
    void statsCountsTheBacklogAndTheDeadLetterAndDeleteLeavesNoStream() throws Exception {
        NatsFixture.requireBroker();
        new AdminScenario(URL, NatsAdminTest::streamsAndConsumersOf, 0).run();
    }

    /** The group's stream and its consumers ({@code stream/consumer}), as JetStream management lists them. */
    private static Set<String> streamsAndConsumersOf(String group) throws Exception {
        Set<String> found = new TreeSet<>();
        try (Connection nc = Nats.connect(URL)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            for (String stream : jsm.getStreamNames()) {
                if (!stream.equals(Naming.stream(group)) && !subjectsOf(jsm, stream).anyMatch(s -> s.startsWith(Naming.groupPrefix(group) + "."))) continue;
                found.add(stream);
                for (String consumer : jsm.getConsumerNames(stream)) found.add(stream + "/" + consumer);
            }
        }
        return found;
    }

    /** The subjects of {@code stream}; none when another test deleted it meanwhile. */
    private static java.util.stream.Stream<String> subjectsOf(JetStreamManagement jsm, String stream) throws java.io.IOException {
        try {
            return jsm.getStreamInfo(stream).getConfiguration().getSubjects().stream();
        } catch (io.nats.client.JetStreamApiException gone) {
            return java.util.stream.Stream.empty();
        }
    }
}
