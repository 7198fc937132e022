package io.courier.cli;

import static io.courier.cli.CliTest.courier;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** send, tail and dlq on mem://, plus their help, bad input and the replay message itself. */
class SendTailDlqMemTest extends SendTailDlqContract {
    @Override String url() { return "mem://cli-send-tail-dlq"; }

    @Override BrokerAddress broker() { return null; }

    @ParameterizedTest
    @ValueSource(strings = {"send", "tail", "dlq list", "dlq show", "dlq replay", "dlq purge"})
    void helpShowsAnExample(String command) {
        CliTest.Run r = courier((command + " --help").split(" "));
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("Example"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"send mem:// nobody@g", "send mem:// any@g --payload x --file y", "send mem:// any@g --delay soon",
            "send mem:// any@g --header bad/name=1", "send mem:// any@g --count 0", "tail mem:// g --ack --requeue",
            "tail mem:// bad/group", "dlq purge mem:// g", "dlq list mem:// g --limit 0"})
    void badInputExitsTwoWithOneLine(String args) {
        CliTest.Run r = courier(args.split(" "));
        assertEquals(CourierCli.BAD_INPUT, r.exit(), r.err());
        assertTrue(r.err().startsWith("courier: "), r.err());
    }

    @Test
    void replayRestoresTheOriginalAndDropsTheDeadLetterHeaders() {
        Instant later = Instant.now().plusSeconds(3600);
        Message original = Message.to("uni@orders/w1").id("m1").header("kind", "x").orderingKey("k").notBefore(later).payload("p").build();
        Message dead = io.courier.runtime.SettlementPolicy.deadLetterOf(original, "orders.dlq", "failed", 3);
        Message replay = Replay.of(dead, "orders.dlq");
        assertEquals(original.toBuilder().id("m1~replay-1").header(Replay.REPLAYED_FROM, "orders.dlq").header(Replay.ORIGINAL_ID, "m1")
                .header(Replay.REPLAYS, "1").notBefore(Instant.ofEpochMilli(later.toEpochMilli())).build(), replay);
        Message again = Replay.of(io.courier.runtime.SettlementPolicy.deadLetterOf(replay, "orders.dlq", "failed", 3), "orders.dlq");
        assertEquals("m1~replay-2", again.id(), "the second replay of a message that failed again");
        assertEquals("m1", again.headers().get(Replay.ORIGINAL_ID));
        String longId = "x".repeat(128);
        assertEquals(128, Replay.replayId(longId, 1).length());
        assertTrue(Replay.replayId(longId, 1).endsWith("~replay-1"));
        Message past = Replay.of(io.courier.runtime.SettlementPolicy.deadLetterOf(original.toBuilder().notBefore(Instant.now().minusSeconds(5)).build(),
                "orders.dlq", "failed", 3), "orders.dlq");
        assertNull(past.notBefore(), "a not-before time already past is not restored");
    }

    @Test
    void aLongSendDrawsProgressOnStderrAndPrintsEveryId() {
        CliTest.Run r = courier("send", url(), "any@" + group, "--count", "1000", "--payload", "x");
        assertEquals(0, r.exit(), r.err());
        assertEquals(1000, r.out().lines().distinct().count());
        assertTrue(r.err().contains("1000/1000") && r.err().contains("sent 1000 messages to any@" + group), r.err());
    }

    @Test
    void stdinPayloadToAMemberIsShownToThatMembersTail() {
        java.io.InputStream in = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("from stdin".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            CliTest.Run sent = courier("send", url(), "uni@" + group + "/w1", "-", "--id", "direct-1");
            assertEquals("sent direct-1 to uni@" + group + "/w1", sent.out().strip(), sent.err());
        } finally {
            System.setIn(in);
        }
        CliTest.Run other = courier("tail", url(), group, "--max", "1", "--timeout", "2s");
        assertEquals(CourierCli.FAILED, other.exit(), "a group-only tail does not get w1's direct message: " + other.out());
        CliTest.Run w1 = courier("tail", url(), group, "--member", "w1", "--max", "1", "--ack", "--timeout", "30s");
        assertEquals(0, w1.exit(), w1.err());
        assertTrue(w1.out().startsWith("direct-1  attempt=1  uni@" + group + "/w1\n  payload (10 bytes, text): from stdin\n"), w1.out());
    }

    @Test
    void anAckTailShowsEveryDeliveryOfAnIdAlreadyPrinted() {
        for (String payload : List.of("first", "second", "third")) { // messages with one id (a producer's resends)
            assertEquals(0, courier("send", url(), "any@" + group, "--id", "same", "--payload", payload).exit());
        }
        CliTest.Run tail = courier("tail", url(), group, "--ack", "--max", "3", "--timeout", "10s");
        assertEquals(0, tail.exit(), "an --ack tail must not stall on a repeated id: " + tail.out() + tail.err());
        assertTrue(tail.out().contains("text): first\n") && tail.out().contains("text): third\n"), tail.out());
    }

    @Test
    void aDeadLetterGroupOfTheSubscriptionsChoosingIsReadWithDeadLetterGroup() {
        assertEquals(0, courier("send", url(), "any@" + group + "-dead", "--id", "x1", "--header", "courier-dead-letter-reason=r").exit());
        CliTest.Run list = courier("dlq", "list", url(), group, "--dead-letter-group", group + "-dead", "--wait", "1s", "--json");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().startsWith("{\"id\":\"x1\","), list.out());
        assertEquals("", courier("dlq", "list", url(), group, "--wait", "1s", "--json").out(), "GROUP.dlq is another group");
    }

    @Test
    void payloadIsTextOnlyWhenItIsPrintableUtf8() {
        assertEquals("héllo\n", DeliveryFormat.text("héllo\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertNull(DeliveryFormat.text(new byte[] {(byte) 0xc3}));
        assertNull(DeliveryFormat.text(new byte[] {'a', 0, 'b'}));
    }
}
