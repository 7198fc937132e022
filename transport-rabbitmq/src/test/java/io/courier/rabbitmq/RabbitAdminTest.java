package io.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.courier.conformance.AdminScenario;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * stats and deleteGroup on the real RabbitMQ: the backlog counted exactly, the runtime's dead letter counted, and
 * after the delete no queue of the group left, as a plain amqp-client sees it (passive declare: 404) and as
 * {@code rabbitmqctl list_queues} lists them (when it is on the PATH).
 */
class RabbitAdminTest {

    @Test
    void groupsListsTheGroupsByTheirCourierNamesLookAlikesApartAndNoMoreOnceDeleted() throws Exception {
        RabbitFixture.requireBroker();
        AdminScenario.listing(new RabbitFixture().url());
    }

    @Test
    void statsCountsTheBacklogAndTheDeadLetterAndDeleteLeavesNoQueue() throws Exception {
        RabbitFixture.requireBroker();
        new AdminScenario(new RabbitFixture().url(), RabbitAdminTest::queuesOf, 0).run();
    }

    @Test
    void aGroupWhoseQueuesWereDeletedWithoutTheAdminIsNotListedAndItsRegistrationCanBeDropped() throws Exception {
        RabbitFixture.requireBroker();
        String group = "lst-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "-raw";
        try (io.courier.Courier courier = io.courier.Courier.connect(new RabbitFixture().url())) {
            RabbitAdmin admin = (RabbitAdmin) courier.transport().admin().orElseThrow();
            courier.send(List.of(io.courier.Message.to("any@" + group).id("a").build())).join();
            assertEquals(List.of(group), admin.groups(group).groups(), "registered and listed");
            assertEquals(1, registrations(group));
            try (Connection c = RabbitFixture.plainConnection(); Channel ch = c.createChannel()) {
                for (String q : queuesOf(group)) ch.queueDelete(q); // as rabbitmqctl or a test cleanup would
            }
            assertEquals(List.of(), admin.groups(group).groups(), "a registration without a queue is not listed");
            admin.dropStaleRegistrations(g -> g.equals(group));
            assertEquals(0, registrations(group), "the stale registration is gone");
        }
    }

    /** The entries of {@code group} in the vhost's group registry, read with a plain client (and given back). */
    private static int registrations(String group) throws Exception {
        int n = 0;
        try (Connection c = RabbitFixture.plainConnection()) {
            Channel ch = c.createChannel();
            try {
                for (com.rabbitmq.client.GetResponse r = ch.basicGet("courier.~groups", false); r != null; r = ch.basicGet("courier.~groups", false)) {
                    if (new String(r.getBody(), StandardCharsets.UTF_8).equals(group)) n++;
                }
            } finally {
                ch.abort();
            }
        }
        return n;
    }

    /** The queues of {@code group} that exist: its known names probed passively, and whatever rabbitmqctl lists for it. */
    private static Set<String> queuesOf(String group) throws Exception {
        String q = "courier." + group;
        Set<String> found = new TreeSet<>(listed(q));
        try (Connection c = RabbitFixture.plainConnection()) {
            for (String name : List.of(q, q + "~key-0", q + "/w1", q + "/w1~sticky", q + "~members")) {
                Channel ch = c.createChannel();
                try {
                    ch.queueDeclarePassive(name);
                    found.add(name);
                } catch (IOException e) {
                    if (!String.valueOf(Errors.closeReason(e)).startsWith("404")) throw e;
                } finally {
                    if (ch.isOpen()) ch.abort();
                }
            }
        }
        return found;
    }

    private static Set<String> listed(String queue) throws Exception {
        Set<String> names = new TreeSet<>();
        Process p;
        try {
            p = new ProcessBuilder("rabbitmqctl", "-q", "list_queues", "name").redirectErrorStream(true).start();
        } catch (IOException noRabbitmqctl) {
            return names;
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            r.lines().map(String::trim)
                    .filter(n -> n.equals(queue) || n.startsWith(queue + "/") || n.startsWith(queue + "~")).forEach(names::add);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        return names;
    }
}
