package io.courier.cli;

import static io.courier.cli.CliTest.courier;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code courier stats}, {@code groups list} and {@code groups delete} on mem:// (exact counts) and on a transport without admin. */
class OperatorCommandsTest {
    private static final String URL = "mem://wtops-operators";

    @Test
    void statsCountsABacklogOf1000AndTheDeadLettersThenDeleteLeavesNothing() {
        try (Courier courier = Courier.connect(URL)) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 1000; i++) batch.add(Message.to("any@wtops-backlog").id("m" + i).payload("x".getBytes(StandardCharsets.UTF_8)).build());
            batch.add(Message.to("any@wtops-backlog.dlq").id("dead-1").build());
            courier.send(batch).join();
        }
        CliTest.Run stats = courier("stats", URL, "wtops-backlog", "--json");
        assertEquals(0, stats.exit(), stats.err());
        assertEquals("{\"group\":\"wtops-backlog\",\"backlog\":1000,\"inFlight\":0,\"delayed\":0,\"deadLetters\":1,\"consumers\":null}",
                stats.out().strip());

        CliTest.Run refused = courier("groups", "delete", URL, "wtops-backlog");
        assertEquals(CourierCli.BAD_INPUT, refused.exit());
        assertTrue(refused.err().contains("--yes"), refused.err());

        CliTest.Run deleted = courier("groups", "delete", URL, "wtops-backlog", "--yes");
        assertEquals(0, deleted.exit(), deleted.err());
        assertEquals("deleted wtops-backlog", deleted.out().strip());

        CliTest.Run after = courier("stats", URL, "wtops-backlog");
        assertEquals(0, after.exit(), after.err());
        assertTrue(after.out().lines().skip(1).findFirst().orElseThrow().matches("wtops-backlog\\s+0\\s+0\\s+0\\s+0\\s+unknown"), after.out());
        assertEquals("absent  wtops-backlog", courier("groups", "delete", URL, "wtops-backlog", "--yes").out().strip());
    }

    @Test
    void aTransportWithoutAdminSaysSoInOneLine() {
        CliTest.Run r = courier("stats", "sim://?seed=1", "wtops-any");
        assertEquals(CourierCli.TRANSPORT_ERROR, r.exit(), r.err());
        assertEquals(List.of("courier: sim:// does not offer operator tooling (stats, groups list, groups delete) yet"), r.errLines());
    }

    @Test
    void helpShowsAnExample() {
        assertTrue(courier("stats", "--help").out().contains("Example"));
        assertTrue(courier("groups", "delete", "--help").out().contains("Example:"));
        assertTrue(courier("groups", "list", "--help").out().contains("courier groups list amqp://"));
    }

    @Test
    void groupsListFoldsADeadLetterGroupIntoItsGroupAndShowsItAloneOnlyWithoutIt() {
        try (Courier courier = Courier.connect(URL)) {
            courier.send(List.of(Message.to("any@wtops-list-a").id("1").build(), Message.to("any@wtops-list-a.dlq").id("2").build(),
                    Message.to("any@wtops-list-b.dlq").id("3").build())).join();
        }
        CliTest.Run r = courier("groups", "list", URL, "--prefix", "wtops-list-", "--json");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("{\"group\":\"wtops-list-a\",\"backlog\":1,\"inFlight\":0,\"delayed\":0,\"deadLetters\":1,\"consumers\":null}",
                "{\"group\":\"wtops-list-b.dlq\",\"backlog\":1,\"inFlight\":0,\"delayed\":0,\"deadLetters\":0,\"consumers\":null}"), r.out().lines().toList());
        assertEquals(List.of("2 group(s) on mem://wtops-operators with prefix 'wtops-list-'"), r.errLines());
        CliTest.Run none = courier("groups", "list", URL, "--prefix", "wtops-nothing-");
        assertEquals(0, none.exit(), none.err());
        assertEquals(List.of("group                             backlog  in-flight    delayed dead-letters  consumers"), none.out().lines().toList());
    }

    @Test
    void groupsListBadInputExits2AndATransportThatCannotListExits3() {
        assertEquals(CourierCli.BAD_INPUT, courier("groups", "list").exit(), "no URL");
        assertEquals(CourierCli.BAD_INPUT, courier("groups", "list", "nope://x").exit(), "unknown scheme");
        assertEquals(CourierCli.BAD_INPUT, courier("groups", "list", URL, "--prefix").exit(), "--prefix without a value");
        CliTest.Run sim = courier("groups", "list", "sim://?seed=1");
        assertEquals(CourierCli.TRANSPORT_ERROR, sim.exit(), sim.err());
        assertEquals(List.of("courier: sim:// does not offer operator tooling (stats, groups list, groups delete) yet"), sim.errLines());
    }
}
