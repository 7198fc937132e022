package io.courier.cli;

import static io.courier.cli.CliTest.courier;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.Delivery;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.courier.conformance.RepositoryBrokers;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code courier send}, {@code tail} and {@code dlq} on one transport, through {@link CourierCli#execute}: send → tail
 * shows it (and the default requeue keeps it for the real consumers); a dead letter made by the runtime is listed
 * (twice, nothing lost), replayed once and not again, then handled; purge without {@code --yes} exits 2; {@code stats}
 * counts a backlog of 1,000 exactly, {@code stats --watch} shows it steady, {@code groups delete} removes it (the
 * broker's own client checks that no resource is left in each transport's {@code AdminScenario}). Groups are
 * {@code cli-…} plus a random suffix (other runs share the brokers). Subclasses name the transport.
 */
abstract class SendTailDlqContract {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The transport URL. */
    abstract String url();

    /** Broker name (as scripts/brokers calls it), host and port, or null for an in-process transport. */
    abstract BrokerAddress broker();

    record BrokerAddress(String name, String host, int port) {}

    final String group = "cli-" + getClass().getSimpleName().replace("SendTailDlq", "").replace("Test", "").toLowerCase()
            + "-" + UUID.randomUUID().toString().substring(0, 8);

    /** A missing broker fails the test, saying how to start it (never a skip: a skipped test proves nothing). */
    static void requireBroker(BrokerAddress b) {
        if (b != null) RepositoryBrokers.awaitListening(b.name(), b.host(), b.port());
    }

    CliTest.Run cli(String... args) {
        requireBroker(broker());
        CliTest.Run r = courier(args);
        assertFalse((r.out() + r.err()).contains(":guest@"), "credentials printed: " + r.out() + r.err());
        return r;
    }

    /** Held shared while a test runs: the conformance runs of other lanes restart this broker only between tests. */
    private io.courier.conformance.BrokerLock brokerLock;

    @org.junit.jupiter.api.BeforeEach
    void holdBroker() {
        if (broker() != null) brokerLock = io.courier.conformance.BrokerLock.shared(broker().name());
    }

    @AfterEach
    void deleteGroups() {
        try (Courier c = Courier.connect(url())) {
            c.transport().admin().ifPresent(a -> a.deleteGroup(group));
        } catch (RuntimeException e) {
            // best effort: the broker may be missing (the test then failed or was skipped already)
        } finally {
            if (brokerLock != null) brokerLock.close(); // the restarts of other lanes may go on
        }
    }

    @Test
    @Timeout(120)
    void sentMessageIsShownByTailWhichRequeuesByDefaultAndConsumesWithAck() {
        CliTest.Run sent = cli("send", url(), "any@" + group, "--payload", "hello\nworld", "--header", "kind=test", "--key", "k1", "--id", group + "-m1");
        assertEquals(0, sent.exit(), sent.err());
        assertEquals("sent " + group + "-m1 to any@" + group, sent.out().strip());

        CliTest.Run tail = cli("tail", url(), group, "--max", "1", "--timeout", "60s");
        assertEquals(0, tail.exit(), tail.err());
        assertTrue(tail.out().startsWith(group + "-m1  attempt=1  any@" + group + "  key=k1\n"), tail.out());
        assertTrue(tail.out().contains("\n  kind: test\n"), tail.out());
        assertTrue(tail.out().contains("payload (11 bytes, text): hello\n    world\n"), tail.out());

        // the default --requeue left it there: an --ack tail sees it again, one attempt later, and consumes it
        CliTest.Run acked = cli("tail", url(), group, "--max", "1", "--timeout", "60s", "--ack", "--json");
        assertEquals(0, acked.exit(), acked.err());
        String line = acked.out().strip();
        // at least one attempt later (RabbitMQ counts one more: its receiver had buffered the keyed message again at close)
        assertTrue(line.matches("\\{\"id\":\"" + group + "-m1\",\"attempt\":[2-9],\"destination\":\"any@" + group + "\",\"key\":\"k1\".*"), line);
        assertTrue(line.contains("\"headers\":{\"kind\":\"test\"}") && line.contains("\"payload\":\"hello\\nworld\",\"payloadEncoding\":\"text\""), line);

        CliTest.Run empty = cli("tail", url(), group, "--max", "1", "--timeout", "3s");
        assertEquals(CourierCli.FAILED, empty.exit(), "consumed by --ack: " + empty.out());
        assertEquals("", empty.out());
    }

    @Test
    @Timeout(120)
    void binaryPayloadIsShownAsBase64AndCountSendsNumberedIds() throws IOException {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("courier-cli", ".bin");
        java.nio.file.Files.write(f, new byte[] {0, (byte) 0xff, 1});
        CliTest.Run sent = cli("send", url(), "any@" + group, "--file", f.toString(), "--id", "b", "--count", "3", "--json");
        assertEquals(0, sent.exit(), sent.err());
        assertEquals(List.of("{\"id\":\"b-1\",\"destination\":\"any@" + group + "\",\"bytes\":3}",
                "{\"id\":\"b-2\",\"destination\":\"any@" + group + "\",\"bytes\":3}",
                "{\"id\":\"b-3\",\"destination\":\"any@" + group + "\",\"bytes\":3}"), sent.out().lines().toList());
        CliTest.Run tail = cli("tail", url(), group, "--max", "3", "--ack", "--timeout", "60s");
        assertEquals(0, tail.exit(), tail.err());
        assertEquals(3, tail.out().split("payload \\(3 bytes, base64\\): AP8B\n", -1).length - 1, tail.out());
    }

    @Test
    @Timeout(180)
    void aRuntimeDeadLetterIsListedReplayedOnceAndThenHandled() throws Exception {
        String id = group + "-poison";
        AtomicInteger failures = new AtomicInteger();
        try (Courier courier = Courier.connect(url())) {
            SubscriptionOptions failing = SubscriptionOptions.group(group).retry(RetryPolicy.immediate(2)).build();
            try (Subscription s = courier.subscribe(failing, d -> {
                failures.incrementAndGet();
                throw new IllegalStateException("boom on purpose");
            })) {
                s.awaitReady(Duration.ofSeconds(30));
                courier.send(Message.to("any@" + group).id(id).header("kind", "test").orderingKey("k7").payload("poison").build()).join();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (failures.get() < 2 && System.nanoTime() < deadline) Thread.sleep(50);
            } // close waits for the dead letter's send
        }
        assertEquals(2, failures.get(), "the handler ran maxAttempts times");

        for (int look = 1; look <= 2; look++) { // listing twice: the first listing lost nothing
            CliTest.Run list = cli("dlq", "list", url(), group, "--json", "--wait", "2s");
            assertEquals(0, list.exit(), list.err());
            List<String> lines = list.out().lines().toList();
            assertEquals(1, lines.size(), "look " + look + ": " + list.out() + list.err());
            assertTrue(lines.get(0).startsWith("{\"id\":\"" + id + "\",\"attempts\":\"2\",\"originalDestination\":\"any@" + group + "\",\"key\":\"k7\","), lines.get(0));
            assertTrue(lines.get(0).contains("failed 2 of maxAttempts=2: java.lang.IllegalStateException: boom on purpose"), lines.get(0));
        }

        CliTest.Run refused = cli("dlq", "purge", url(), group);
        assertEquals(CourierCli.BAD_INPUT, refused.exit());
        assertTrue(refused.err().contains("add --yes"), refused.err());

        CliTest.Run dry = cli("dlq", "replay", url(), group, "--dry-run", "--wait", "2s");
        assertEquals(0, dry.exit(), dry.err());
        assertEquals("would-replay " + id + " to any@" + group + " as " + id + "~replay-1", dry.out().strip());

        CliTest.Run replay = cli("dlq", "replay", url(), group, "--wait", "2s");
        assertEquals(0, replay.exit(), replay.err());
        assertEquals("replayed " + id + " to any@" + group + " as " + id + "~replay-1", replay.out().strip());
        CliTest.Run again = cli("dlq", "replay", url(), group, "--wait", "2s");
        assertEquals(0, again.exit(), again.err());
        assertEquals("", again.out(), "nothing replayed twice");
        assertTrue(again.err().contains("read 0 dead letter(s)"), again.err());

        LinkedBlockingQueue<Delivery> handled = new LinkedBlockingQueue<>();
        try (Courier courier = Courier.connect(url());
             Subscription s = courier.subscribe(SubscriptionOptions.group(group).build(), handled::add)) {
            Delivery d = handled.poll(60, TimeUnit.SECONDS);
            assertTrue(d != null, "the replayed message is handled");
            Message m = d.message();
            assertEquals(id + "~replay-1", m.id(), "a new, deterministic id");
            assertEquals(id, m.headers().get("courier-original-id"));
            assertEquals("1", m.headers().get("courier-replays"));
            assertEquals(1, d.attempt(), "a fresh attempt count");
            assertEquals("k7", m.orderingKey());
            assertEquals("poison", m.payloadUtf8());
            assertEquals("test", m.headers().get("kind"));
            assertEquals(group + ".dlq", m.headers().get("courier-replayed-from"));
            assertNull(m.headers().get(Message.DEAD_LETTER_REASON));
            assertNull(handled.poll(3, TimeUnit.SECONDS), "exactly one copy");
        }
    }

    @Test
    @Timeout(180)
    void statsCountsABacklogOf1000WhichWatchShowsSteadyAndGroupsDeleteRemovesTheGroup() throws Exception {
        CliTest.Run sent = cli("send", url(), "any@" + group, "--count", "1000", "--payload", "x", "--id", group + "-b");
        assertEquals(0, sent.exit(), sent.err());
        assertEquals(1000, backlog(1000), "stats counts the backlog of 1,000");

        CliTest.Run watch = cli("stats", url(), group, "--watch", "200ms", "--ticks", "2", "--json");
        assertEquals(0, watch.exit(), watch.err());
        List<String> ticks = watch.out().lines().toList();
        assertEquals(2, ticks.size(), watch.out());
        JsonNode second = JSON.readTree(ticks.get(1));
        assertEquals(1000, second.get("backlog").asLong(), watch.out());
        assertEquals(0, second.get("backlogChange").asLong(), "nothing sent or consumed between the ticks: " + watch.out());

        CliTest.Run deleted = cli("groups", "delete", url(), group, "--yes");
        assertEquals(0, deleted.exit(), deleted.err());
        assertEquals("deleted " + group, deleted.out().strip());
        assertEquals(0, backlog(0), "nothing of the group left to count");
        assertEquals("absent  " + group, cli("groups", "delete", url(), group, "--yes").out().strip(), "a second delete finds nothing");
    }

    @Test
    @Timeout(180)
    void groupsListShowsEachGroupOnceWithItsCountsLookAlikesApartAndNotOnceDeleted() throws Exception {
        String dotted = group + "-x.y", underscored = group + "-x_y";
        try (Courier c = Courier.connect(url())) {
            try {
                c.send(List.of(Message.to("any@" + dotted).id("a1").payload("a").build(), Message.to("any@" + dotted).id("a2").payload("a").build(),
                        Message.to("uni@" + dotted + "/w1").id("a3").payload("m").build(), Message.to("any@" + dotted + ".dlq").id("dead").payload("d").build(),
                        Message.to("any@" + underscored).id("b1").payload("b").build())).join();
                List<JsonNode> lines = listed(3);
                assertEquals(List.of(dotted, underscored), lines.stream().map(l -> l.get("group").asText()).toList(),
                        "each group once, its .dlq folded into it, the look-alikes apart");
                assertEquals(3, lines.get(0).get("backlog").asLong(), "2 to the group, 1 to its member: " + lines);
                assertEquals(1, lines.get(0).get("deadLetters").asLong(), lines.toString());
                assertEquals(1, lines.get(1).get("backlog").asLong(), lines.toString());

                CliTest.Run table = cli("groups", "list", url(), "--prefix", group);
                assertEquals(0, table.exit(), table.err());
                List<String> rows = table.out().lines().toList();
                assertEquals(3, rows.size(), table.out());
                assertTrue(rows.get(0).startsWith("group ") && rows.get(1).startsWith(dotted + " ") && rows.get(2).startsWith(underscored + " "), table.out());
                assertTrue(table.err().contains("2 group(s) on ") && table.err().contains("with prefix '" + group + "'"), table.err());

                assertEquals(0, cli("groups", "delete", url(), dotted, "--yes").exit());
                CliTest.Run names = cli("groups", "list", url(), "--prefix", group, "--names-only");
                assertEquals(0, names.exit(), names.err());
                assertEquals(underscored, names.out().strip(), "the deleted group is listed no more");
            } finally {
                c.transport().admin().ifPresent(a -> {
                    a.deleteGroup(dotted);
                    a.deleteGroup(underscored);
                });
            }
        }
    }

    /** The lines of {@code groups list --prefix GROUP --json} once the first group's backlog is {@code backlog} (brokers count with a lag), or after 60 s. */
    private List<JsonNode> listed(long backlog) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            CliTest.Run r = cli("groups", "list", url(), "--prefix", group, "--json");
            assertEquals(0, r.exit(), r.err());
            List<JsonNode> lines = new java.util.ArrayList<>();
            for (String l : r.out().lines().toList()) lines.add(JSON.readTree(l));
            if (lines.size() == 2 && lines.get(0).get("backlog").asLong() == backlog || System.nanoTime() > deadline) return lines;
            Thread.sleep(250);
        }
    }

    /** The backlog {@code courier stats --json} prints once it is {@code expected} (brokers count with a lag), or after 60 s. */
    private long backlog(long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            CliTest.Run stats = cli("stats", url(), group, "--json");
            assertEquals(0, stats.exit(), stats.err());
            JsonNode line = JSON.readTree(stats.out());
            assertEquals(group, line.get("group").asText(), stats.out());
            assertTrue(line.get("backlog").isNumber(), "the backlog is known: " + stats.out());
            if (line.get("backlog").asLong() == expected || System.nanoTime() > deadline) return line.get("backlog").asLong();
            Thread.sleep(250);
        }
    }

    @Test
    @Timeout(120)
    void showPrintsOneDeadLetterInFullAndPurgeRemovesOnlyTheSelected() {
        for (String n : List.of("a", "b")) {
            assertEquals(0, cli("send", url(), "any@" + group + ".dlq", "--payload", "dead " + n, "--id", group + "-" + n,
                    "--header", "courier-dead-letter-reason=reason " + n).exit());
        }
        CliTest.Run show = cli("dlq", "show", url(), group, "--id", group + "-b", "--wait", "2s");
        assertEquals(0, show.exit(), show.err());
        assertTrue(show.out().startsWith(group + "-b  attempt=1  any@" + group + ".dlq\n"), show.out());
        assertTrue(show.out().contains("  courier-dead-letter-reason: reason b\n  payload (6 bytes, text): dead b\n"), show.out());

        CliTest.Run unknown = cli("dlq", "show", url(), group, "--id", "no-such-id", "--wait", "2s");
        assertEquals(CourierCli.FAILED, unknown.exit());
        assertTrue(unknown.err().contains("no dead letter with id no-such-id"), unknown.err());

        CliTest.Run notReplayable = cli("dlq", "replay", url(), group, "--id", group + "-a", "--wait", "2s");
        assertEquals(CourierCli.FAILED, notReplayable.exit(), "no original destination: " + notReplayable.out());
        assertTrue(notReplayable.err().contains("has no courier-original-destination header"), notReplayable.err());

        CliTest.Run purged = cli("dlq", "purge", url(), group, "--reason-contains", "reason a", "--yes", "--wait", "2s");
        assertEquals(0, purged.exit(), purged.err());
        assertEquals("purged " + group + "-a", purged.out().strip());
        CliTest.Run left = cli("dlq", "list", url(), group, "--wait", "2s");
        assertEquals(2, left.out().lines().count(), left.out());
        assertTrue(left.out().lines().skip(1).findFirst().orElseThrow().startsWith(group + "-b "), left.out());
    }
}
