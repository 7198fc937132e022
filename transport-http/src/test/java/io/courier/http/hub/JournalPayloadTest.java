package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Payloads stay in the journal (issue #21): the index keeps where each live record is, {@link Journal#payload} reads it
 * back, and compaction never deletes a segment that still holds the payload of a live message, also while readers read.
 */
class JournalPayloadTest {
    private static Path dir(String tag) { return Path.of("target", "hub-data", "payload-" + tag + "-" + UUID.randomUUID()); }

    private static Message msg(String id, byte[] payload) { return Message.to("any@payload-test").id(id).payload(payload).build(); }

    @Test
    void compactionMovesLivePayloadsBeforeItDeletesTheirSegmentAndReadersAlwaysFindThem() throws Exception {
        Path d = dir("compact");
        Random random = new Random(21);
        Map<Long, byte[]> kept = new LinkedHashMap<>(); // never acked: their segments are compacted away under them
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> readerFailed = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        try (Journal j = Journal.open(d, 128 << 10)) {
            Thread reader = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    List<Map.Entry<Long, byte[]>> now;
                    synchronized (kept) { now = new ArrayList<>(kept.entrySet()); }
                    for (Map.Entry<Long, byte[]> e : now) {
                        try {
                            assertArrayEquals(e.getValue(), j.payload(e.getKey()), "payload of journal seq " + e.getKey());
                            reads.incrementAndGet();
                        } catch (Throwable t) {
                            readerFailed.compareAndSet(null, t);
                            return;
                        }
                    }
                }
            });
            for (int round = 0; round < 150; round++) {
                byte[] p = new byte[500 + random.nextInt(1500)];
                random.nextBytes(p);
                long seq = j.nextSeq();
                j.append(List.of(JournalRecord.send(seq, msg("kept-" + round, p), 0))).get();
                synchronized (kept) { kept.put(seq, p); }
                List<JournalRecord> churn = new ArrayList<>();
                for (int i = 0; i < 40; i++) churn.add(JournalRecord.send(j.nextSeq(), msg("churn-" + round + "-" + i, new byte[1000]), 0));
                j.append(churn).get();
                List<JournalRecord> acks = new ArrayList<>();
                for (JournalRecord r : churn) acks.add(JournalRecord.ack(r.seq()));
                j.append(acks).get();
                if (round % 10 == 0) j.append(List.of(JournalRecord.attempts(seq, 2))).get();
            }
            done.set(true);
            reader.join();
            assertNull(readerFailed.get(), () -> "a reader failed while compaction ran: " + readerFailed.get());
            assertTrue(reads.get() > 0, "the reader read");
            assertFalse(Files.exists(d.resolve("seg-0000000000000001.log")), "the first segment was compacted away");
            for (Map.Entry<Long, byte[]> e : kept.entrySet()) assertArrayEquals(e.getValue(), j.payload(e.getKey()));
            System.out.printf("journal payloads: %d live payloads read %d times while compaction ran, %d segments left%n",
                    kept.size(), reads.get(), j.stats().segments());
        }
        try (Journal j = Journal.open(d, 128 << 10)) {
            assertEquals(kept.size(), j.recovered().size(), "every live message recovered");
            for (JournalRecord r : j.recovered()) {
                assertEquals(0, r.message().payload().length, "recovery keeps no payload on the heap");
                assertArrayEquals(kept.get(r.seq()), j.payload(r.seq()), "payload of " + r.message().id() + " read back after a restart");
            }
            assertEquals(2, j.recovered().get(0).deliveries(), "the delivery count survives the moves");
        }
    }

    @Test
    void anAckedMessageHasNoPayloadToRead() throws Exception {
        try (Journal j = Journal.open(dir("acked"), 1 << 20)) {
            long seq = j.nextSeq();
            j.append(List.of(JournalRecord.send(seq, msg("a", new byte[] {1, 2, 3}), 0))).get();
            assertArrayEquals(new byte[] {1, 2, 3}, j.payload(seq));
            j.append(List.of(JournalRecord.ack(seq))).get();
            assertNull(j.payload(seq));
        }
    }
}
