package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The journal alone: recovery of exactly the unacked messages, torn tails, bounded disk, group commit. */
class JournalTest {
    private static Path dir(String tag) { return Path.of("target", "hub-data", "journal-" + tag + "-" + UUID.randomUUID()); }

    private static Message msg(int i, int bytes) {
        return Message.to("any@journal-test").id("m" + i).header("h", "v" + i).payload(new byte[bytes]).build();
    }

    @Test
    void reopeningRecoversExactlyTheUnackedMessagesWithTheirAttemptsInSendOrder() throws Exception {
        Path d = dir("recover");
        try (Journal j = Journal.open(d, 1 << 20)) {
            for (int i = 0; i < 100; i++) j.append(List.of(JournalRecord.send(j.nextSeq(), msg(i, 10), 0))).get();
            List<JournalRecord> acks = new ArrayList<>();
            for (long s = 1; s <= 100; s += 2) acks.add(JournalRecord.ack(s));
            j.append(acks).get();
            j.append(List.of(JournalRecord.attempts(2, 3))).get();
        }
        try (Journal j = Journal.open(d, 1 << 20)) {
            List<JournalRecord> live = j.recovered();
            assertEquals(50, live.size());
            assertEquals(2, live.get(0).seq());
            assertEquals(3, live.get(0).deliveries(), "the delivery count survives a restart (C15)");
            assertEquals(msg(1, 10), live.get(0).message().toBuilder().payload(j.payload(2)).build(), "message intact, its payload read back from the journal");
            for (int i = 1; i < live.size(); i++) assertTrue(live.get(i).seq() > live.get(i - 1).seq(), "send order kept");
            assertEquals(101, j.nextSeq());
        }
    }

    @Test
    void aTornRecordAtTheEndIsIgnored() throws Exception {
        Path d = dir("torn");
        try (Journal j = Journal.open(d, 1 << 20)) {
            j.append(List.of(JournalRecord.send(j.nextSeq(), msg(1, 10), 0), JournalRecord.send(j.nextSeq(), msg(2, 10), 0))).get();
        }
        Path seg;
        try (Stream<Path> s = Files.list(d)) { seg = s.sorted().filter(p -> { try { return Files.size(p) > 0; } catch (Exception e) { return false; } }).findFirst().orElseThrow(); }
        byte[] partial = JournalRecord.send(99, msg(3, 100), 0).encode();
        Files.write(seg, java.util.Arrays.copyOf(partial, partial.length / 2), StandardOpenOption.APPEND);
        try (Journal j = Journal.open(d, 1 << 20)) {
            assertEquals(2, j.recovered().size());
            j.append(List.of(JournalRecord.send(j.nextSeq(), msg(4, 10), 0))).get();
        }
        try (Journal j = Journal.open(d, 1 << 20)) {
            assertEquals(3, j.recovered().size(), "writing after a torn tail works");
        }
    }

    @Test
    void compactionKeepsTheDiskBoundedEvenWithALongLivedMessage() throws Exception {
        Path d = dir("compact");
        long segment = 256 << 10;
        long maxDisk = 0;
        try (Journal j = Journal.open(d, segment)) {
            j.append(List.of(JournalRecord.send(j.nextSeq(), msg(-1, 100), 0))).get(); // never acked
            for (int round = 0; round < 200; round++) {
                List<JournalRecord> sends = new ArrayList<>();
                for (int i = 0; i < 50; i++) sends.add(JournalRecord.send(j.nextSeq(), msg(round * 50 + i, 1000), 0));
                j.append(sends).get();
                List<JournalRecord> acks = new ArrayList<>();
                for (JournalRecord r : sends) acks.add(JournalRecord.ack(r.seq()));
                j.append(acks).get();
                maxDisk = Math.max(maxDisk, diskBytes(d));
            }
            System.out.printf("compaction: 10,000 messages of 1 KiB written (%d MiB), disk at most %d KiB, %d segments at the end%n",
                    j.stats().bytesWritten() >> 20, maxDisk >> 10, j.stats().segments());
        }
        assertTrue(maxDisk < 4 * segment, "disk grew to " + maxDisk + " bytes with segments of " + segment);
        try (Journal j = Journal.open(d, segment)) {
            assertEquals(1, j.recovered().size(), "only the long-lived message is left");
            assertEquals("m-1", j.recovered().get(0).message().id());
        }
    }

    private static long diskBytes(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** The size of the journal's one segment at each fsync, through the hook every fsync goes through. */
    private static final class Forces implements Journal.Fsync {
        final List<Long> sizes = new CopyOnWriteArrayList<>();

        @Override
        public void force(FileChannel channel) throws IOException {
            channel.force(false);
            sizes.add(channel.size()); // on the writer thread, before the futures of the records it covers complete
        }

        /** True when some fsync covered the first {@code bytes} of the segment. */
        boolean covered(long bytes) { return sizes.stream().anyMatch(s -> s >= bytes); }
    }

    /** The size of the one segment in {@code d} now: the end of the last record written. */
    private static long written(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            List<Path> segs = s.toList();
            assertEquals(1, segs.size(), "one segment expected in " + d + ": " + segs);
            return Files.size(segs.get(0));
        }
    }

    @Test
    void aPlainAckIsNotForcedOnItsOwnAndAForcedAppendIs() throws Exception {
        Path d = dir("forced-append");
        Forces forces = new Forces();
        try (Journal j = Journal.open(d, 1 << 20, forces)) {
            j.append(List.of(JournalRecord.send(j.nextSeq(), msg(0, 16), 0))).join();
            assertTrue(forces.covered(written(d)), "a send is answered only after a fsync that covers it");
            j.append(List.of(JournalRecord.ack(1))).join();
            assertFalse(forces.covered(written(d)), "a plain ACK alone is not forced (so the hook can tell forced from not)");
            j.appendForced(List.of(JournalRecord.ack(2))).join();
            assertTrue(forces.covered(written(d)), "appendForced is answered only after a fsync that covers it");
        }
    }

    @Test
    void theRemovalOfAPushSubscriptionIsAnsweredOnlyAfterAFsyncCoveringIt() throws Exception {
        Path d = dir("unpush-forced");
        Forces forces = new Forces();
        try (DurableQueues q = new DurableQueues(d, 1 << 20, 30_000, Runnable::run, forces)) {
            long seq = q.journalPush(msg(0, 16)).join();
            long subscribed = written(d);
            assertTrue(forces.covered(subscribed), "a push subscription is answered only after a fsync that covers it");
            q.journalUnpush(seq).join();
            long removed = written(d);
            assertTrue(removed > subscribed, "the removal wrote its record");
            assertTrue(forces.covered(removed), "the removal of a push subscription was answered before any fsync covered its record "
                    + "(fsyncs at segment sizes " + forces.sizes + ", record ends at " + removed + "): a crash could bring the subscription back");
        }
    }

    @Test
    void concurrentSendersShareFsyncs() throws Exception {
        Path d = dir("group-commit");
        int threads = 32, perThread = 300;
        try (Journal j = Journal.open(d, 64 << 20)) {
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            AtomicLong sent = new AtomicLong();
            for (int t = 0; t < threads; t++) {
                all.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perThread; i++) {
                        j.append(List.of(JournalRecord.send(j.nextSeq(), msg(i, 1024), 0))).join(); // one send at a time, waits for its fsync
                        sent.incrementAndGet();
                    }
                }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            double secs = (System.nanoTime() - t0) / 1e9;
            Journal.Stats s = j.stats();
            System.out.printf("group commit: %d senders, %d durable 1 KiB sends in %.2f s = %.0f sends/s, %d fsyncs (%.0f fsyncs/s, %.1f sends per fsync)%n",
                    threads, sent.get(), secs, sent.get() / secs, s.forces(), s.forces() / secs, (double) sent.get() / s.forces());
            assertTrue(s.forces() < sent.get(), "concurrent sends must share fsyncs");
        }
    }
}
