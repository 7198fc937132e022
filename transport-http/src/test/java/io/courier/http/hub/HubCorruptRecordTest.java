package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.courier.Message;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live record whose bytes change on disk while the hub runs (a flipped bit, a segment cut short): its delivery cannot
 * read the payload back intact, so the hub dead-letters the message at once (C7: to the group's dead-letter destination,
 * the reason naming the corruption, the segment and the offset; the payload empty, as the bytes on disk are known wrong)
 * and logs it at WARN with the message id — it neither blocks the ordering key behind it nor comes back lease after lease.
 */
class HubCorruptRecordTest {
    private static final String MARK = "corrupt-me-please-0123456789abcdef";

    @TempDir
    Path tmp;

    private record Got(List<JsonNode> deliveries) {
        List<String> ids() { return deliveries.stream().map(d -> d.get("id").asText()).toList(); }
    }

    /** Receives from {@code group} (1 s leases) and acks, until {@code millis} passed or {@code want} deliveries came. */
    private static Got receive(CourierHub hub, String group, int want, long millis) throws Exception {
        List<JsonNode> got = new ArrayList<>();
        String session = "s-" + UUID.randomUUID();
        long deadline = System.currentTimeMillis() + millis;
        while (got.size() < want && System.currentTimeMillis() < deadline) {
            for (JsonNode one : DiskTestSupport.receive(hub, session, group, 10, 1000)) {
                got.add(one);
                DiskTestSupport.ack(hub, session, List.of(one.get("lease").asText()));
            }
        }
        return new Got(got);
    }

    /** The segment file and offset where {@code needle} is written (the journal's only segment of this run holds it). */
    private static long[] find(Path dir, byte[] needle, Path[] file) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
                byte[] all = Files.readAllBytes(p);
                outer:
                for (int i = 0; i + needle.length <= all.length; i++) {
                    for (int k = 0; k < needle.length; k++) if (all[i + k] != needle[k]) continue outer;
                    file[0] = p;
                    return new long[] {i};
                }
            }
        }
        throw new AssertionError("payload not found in the segments of " + dir);
    }

    private static Message keyed(String group, String id, String payload) {
        return Message.to("any@" + group).id(id).orderingKey("k").header("h", "v-" + id).payload(payload.getBytes(StandardCharsets.UTF_8)).build();
    }

    /**
     * Runs {@code damage} on the segment holding the payload of "bad", then receives; checks the dead letter. With
     * {@code followerQueued}, "after" (same ordering key) is sent with "bad", before the damage; else once "bad" is
     * dead-lettered (a record written after the damage would fill the hole a cut leaves).
     */
    private void deadLettersInsteadOfLooping(String tag, String expectedReason, boolean followerQueued, Damage damage) throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String group = tag + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path data = tmp.resolve("hub");
        System.setErr(new PrintStream(new TeeStream(err, log), true));
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, data))) {
            String secret = MARK + "-secret-payload";
            List<Message> first = new ArrayList<>(List.of(keyed(group, "bad", secret)));
            if (followerQueued) first.add(keyed(group, "after", "fine"));
            hub.send(first).join();
            Path[] file = new Path[1];
            long at = find(data, MARK.getBytes(StandardCharsets.UTF_8), file)[0];
            damage.apply(file[0], at);

            Got main = receive(hub, group, 1, followerQueued ? 8_000 : 3_000);
            Got dead = receive(hub, group + ".dlq", 2, 3_000);
            if (!followerQueued) {
                hub.send(List.of(keyed(group, "after", "fine"))).join();
                main = new Got(Stream.concat(main.deliveries().stream(), receive(hub, group, 1, 3_000).deliveries().stream()).toList());
            }
            Got more = receive(hub, group, 10, 2_500); // 1 s leases: a looping message would be back by now
            System.out.printf("corrupt record (%s): the group got %s, then %s; its dead-letter group got %s%n", tag, main.ids(), more.ids(), dead.ids());
            assertEquals(List.of("after"), main.ids(), "the message behind the corrupt one (same key) is delivered, the corrupt one is not");
            assertEquals(List.of(), more.ids(), "the corrupt message must not come back");
            assertEquals(List.of("bad"), dead.ids(), "the corrupt message is dead-lettered to " + group + ".dlq, once");
            JsonNode dl = dead.deliveries().get(0);
            String reason = dl.get("headers").path(Message.DEAD_LETTER_REASON).asText();
            assertTrue(reason.startsWith("journal record corrupt: " + expectedReason), reason);
            assertTrue(reason.contains(file[0].getFileName().toString()) && reason.contains("offset"), "the reason names segment and offset: " + reason);
            assertEquals("v-bad", dl.get("headers").path("h").asText(), "headers intact");
            assertEquals("1", dl.get("headers").path(Message.ATTEMPTS).asText(), dl.toString());
            assertEquals("", dl.get("payload").asText(), "the payload that fails its check is not passed on");
        } finally {
            System.setErr(err);
        }
        String logged = log.toString();
        assertTrue(logged.lines().anyMatch(l -> l.contains("WARN io.courier.http.hub.DurableQueues") && l.contains("transport=http")
                && l.contains("id=bad") && l.contains("destination=any@" + group) && l.contains("journal record corrupt")), logged);
        assertFalse(logged.contains(MARK), "the payload is never logged");
    }

    @FunctionalInterface
    private interface Damage { void apply(Path segment, long payloadAt) throws Exception; }

    @Test
    void aBitFlippedInALiveRecordDeadLettersItsMessageOnceInsteadOfRetryingForever() throws Exception {
        deadLettersInsteadOfLooping("flip", "checksum mismatch", true, (segment, at) -> {
            try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, at + 3);
                b.put(0, (byte) (b.get(0) ^ 0x10));
                ch.write(b.flip(), at + 3);
            }
        });
    }

    @Test
    void aRecordThatCannotBeReadAtAllIsDeadLetteredWithAnEmptyPayload() throws Exception {
        deadLettersInsteadOfLooping("cut", "unreadable", false, (segment, at) -> {
            // the segment cut inside the record: the read comes back short
            try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.truncate(at + 3);
            }
        });
    }
}
