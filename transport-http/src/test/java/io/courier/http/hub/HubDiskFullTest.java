package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.courier.Courier;
import io.courier.Message;
import io.courier.TransportUnavailableException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hub's journal on a real 8 MiB tmpfs that a filler file has almost filled: sends get 503 {@code disk_full}
 * (on the client: {@link TransportUnavailableException} naming "hub disk full" and the fix), nothing answered 200 is
 * lost, and once the filler is deleted the hub accepts again by itself. With a reserve (the default way) the hub
 * refuses before the disk is full; with none, the write itself fails with ENOSPC and is cut off.
 */
class HubDiskFullTest {

    @ParameterizedTest(name = "reserve of {0} bytes")
    @ValueSource(longs = {512 << 10, 0})
    void aFullDiskRefusesSendsWith503AndTheHubAcceptsAgainWhenSpaceReturns(long reserve) throws Exception {
        try (ScratchDisk disk = ScratchDisk.tmpfs("diskfull", 8 << 20)) {
            Path data = disk.dir().resolve("hub"), filler = disk.dir().resolve("filler");
            HubOptions options = HubOptions.defaults(0, data).withSegmentBytes(1 << 20).withMinFreeDisk(reserve);
            String group = "disk-" + UUID.randomUUID().toString().substring(0, 8);
            Set<String> accepted = new LinkedHashSet<>();
            int sent = 0, refusedWhileFull = 0;
            long recoverMillis;
            CourierHub hub = CourierHub.start(options);
            try (Courier c = Courier.connect(hub.url() + "?retry-for=1s")) {
                fill(filler, Files.getFileStore(disk.dir()).getUsableSpace() - (3 << 19)); // about 1.5 MiB left
                Throwable refused = null;
                while (refused == null && sent < 5_000) {
                    Message m = message(group, sent++);
                    try {
                        c.send(m).get(30, TimeUnit.SECONDS);
                        accepted.add(m.id());
                    } catch (ExecutionException e) {
                        refused = e.getCause();
                    }
                }
                assertNotNull(refused, "the disk never filled up after " + sent + " sends");
                assertInstanceOf(TransportUnavailableException.class, refused);
                assertTrue(refused.getMessage().contains("hub disk full") && refused.getMessage().contains("free space"),
                        "the error names the problem and the fix: " + refused.getMessage());

                HttpResponse<String> raw = DiskTestSupport.post(hub, "/v1/send", "{\"messages\":[{\"destination\":\"any@" + group
                        + "\",\"id\":\"raw\",\"payload\":\"" + "A".repeat(8192) + "\"}]}");
                sent++;
                assertEquals(503, raw.statusCode(), raw.body());
                assertEquals("disk_full", DiskTestSupport.JSON.readTree(raw.body()).get("error").asText());
                assertEquals("1", raw.headers().firstValue("retry-after").orElse(null));
                JsonNode health = DiskTestSupport.health(hub);
                assertEquals("disk_full", health.get("journal").get("state").asText(), health.toString());
                assertEquals("degraded", health.get("status").asText(), health.toString());
                for (int i = 0; i < 5; i++) {
                    try {
                        c.send(message(group, sent++)).get(30, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        refusedWhileFull++;
                    }
                }
                assertEquals(5, refusedWhileFull, "the disk is still full: every send is refused");

                Files.delete(filler);
                long freed = System.nanoTime();
                while (true) {
                    Message m = message(group, sent++);
                    try {
                        c.send(m).get(30, TimeUnit.SECONDS);
                        accepted.add(m.id());
                        break;
                    } catch (ExecutionException e) {
                        assertTrue(System.nanoTime() - freed < 20_000_000_000L, "not accepting 20 s after space returned: " + e.getCause());
                    }
                }
                recoverMillis = (System.nanoTime() - freed) / 1_000_000;
                for (int i = 0; i < 200; i++) {
                    Message m = message(group, sent++);
                    c.send(m).get(30, TimeUnit.SECONDS);
                    accepted.add(m.id());
                }
                assertEquals("ok", DiskTestSupport.health(hub).get("journal").get("state").asText());
            } finally {
                hub.close();
            }
            // what was answered 200 is on disk: a fresh hub on the same journal has it
            DiskTestSupport.Drained drained = DiskTestSupport.restartAndDrain(options, group, accepted);
            Set<String> lost = drained.lostOf(accepted), unanswered = drained.unansweredOf(accepted);
            System.out.printf("disk full (reserve %d B): sent %d, accepted %d, refused %d, lost %d, duplicates %d, refused ones delivered %d,"
                    + " accepting again %d ms after space returned%n", reserve, sent, accepted.size(), sent - accepted.size(),
                    lost.size(), drained.duplicates(), unanswered.size(), recoverMillis);
            assertEquals(0, lost.size(), "lost accepted messages, e.g. " + lost.stream().limit(5).toList());
            assertEquals(0, unanswered.size(), "a refused send was stored after all: " + unanswered);
        }
    }

    @Test
    void aWriteThatRunsOutOfSpaceIsCutOffAndTheJournalGoesOnWhenSpaceReturns() throws Exception {
        try (ScratchDisk disk = ScratchDisk.tmpfs("enospc", 4 << 20)) {
            Path data = disk.dir().resolve("journal"), filler = disk.dir().resolve("filler");
            Journal.Config config = Journal.Config.of(1 << 20); // no reserve: only the write can tell
            List<JournalRecord> settle = new ArrayList<>(); // acks and attempt counts are not checked against the reserve
            for (long seq = 1; seq <= 50; seq++) settle.add(JournalRecord.ack(seq));
            for (int i = 0; i < 950; i++) settle.add(JournalRecord.attempts(51 + i % 50, 2));
            try (Journal j = Journal.open(data, config)) {
                for (int i = 0; i < 100; i++) j.append(List.of(JournalRecord.send(j.nextSeq(), message("enospc", i), 0))).join();
                Path newest;
                try (Stream<Path> files = Files.list(data)) { newest = files.sorted().reduce((a, b) -> b).orElseThrow(); }
                fillUp(filler);
                long before = Files.size(newest);
                CompletionException e = assertThrows(CompletionException.class, () -> j.append(settle).join());
                assertInstanceOf(DiskFullException.class, e.getCause(), e.getCause().toString());
                assertTrue(e.getCause().getCause().getMessage().contains("No space left"), "ENOSPC from the write itself: " + e.getCause().getCause());
                assertEquals(before, Files.size(newest), "the partial write is cut off");
                Files.delete(filler);
                j.append(settle).join();
            }
            try (Journal j = Journal.open(data, config)) { // nothing torn was left behind: no damage, exactly the unacked half
                assertEquals("ok", j.health().state());
                assertEquals(50, j.recovered().size());
                assertEquals(2, j.recovered().get(0).deliveries());
            }
        }
    }

    private static void fillUp(Path file) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int chunk = 64 << 10; chunk >= 512; chunk /= 2) {
                try {
                    while (true) out.write(new byte[chunk]);
                } catch (java.io.IOException full) {
                    // next, smaller chunks
                }
            }
        }
    }

    private static Message message(String group, int i) {
        return Message.to("any@" + group).id("m" + i).payload(new byte[4096]).build();
    }

    private static void fill(Path file, long bytes) throws Exception {
        byte[] chunk = new byte[64 << 10];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= chunk.length) out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
    }
}
