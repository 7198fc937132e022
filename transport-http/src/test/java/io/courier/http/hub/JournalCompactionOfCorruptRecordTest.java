package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Known defect (issue 21, not fixed): compaction cannot move a live record that no longer reads back intact, so the
 * oldest segment holding it is never deleted and the journal grows with every write until that message is delivered
 * (and then dead-lettered by the hub). A message that is not delivered soon (delayed, for an offline member) keeps
 * compaction stopped, and with {@code --max-journal-bytes} the hub stays {@code hub_full}. Each write batch also logs
 * ERROR "journal write failed … (the senders of this batch get an error)", though they were answered 200.
 * Run with the {@code @Disabled} removed (2026-12-04): 101 segments and 2,211,102 bytes on disk after 200 rounds of
 * 10 × 1 KiB sent and acked through 16 KiB segments (all garbage but the one pinned record), 397 such ERRORs. A fix
 * needs the hub to dead-letter the message as soon as compaction finds it unreadable, which needs a way to take a
 * message that is not leased out of {@code MemEngine} (transport-api).
 */
class JournalCompactionOfCorruptRecordTest {
    @TempDir
    Path tmp;

    @Test
    @Disabled("known defect: compaction stops at an unreadable live record; see the class comment")
    void compactionGoesOnPastALiveRecordThatNoLongerReadsBack() throws Exception {
        Path d = tmp.resolve("j");
        try (Journal j = Journal.open(d, 16 << 10)) {
            byte[] mark = "flip-me-in-compaction".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            j.append(List.of(JournalRecord.send(j.nextSeq(), Message.to("any@c").id("pinned").payload(mark).build(), 0))).get();
            Path first = d.resolve(Segment.name(1));
            byte[] all = Files.readAllBytes(first);
            int at = -1;
            for (int i = 0; i + mark.length <= all.length && at < 0; i++) if (java.util.Arrays.equals(all, i, i + mark.length, mark, 0, mark.length)) at = i;
            try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {(byte) (mark[0] ^ 1)}), at);
            }
            long most = 0;
            for (int round = 0; round < 200; round++) { // 200 × 10 × 1 KiB sent and acked: all garbage but the pinned record
                List<JournalRecord> sends = new ArrayList<>();
                for (int i = 0; i < 10; i++) sends.add(JournalRecord.send(j.nextSeq(), Message.to("any@c").id("r" + round + "-" + i).payload(new byte[1024]).build(), 0));
                j.append(sends).get();
                List<JournalRecord> acks = new ArrayList<>();
                for (JournalRecord r : sends) acks.add(JournalRecord.ack(r.seq()));
                j.append(acks).get();
                most = Math.max(most, j.stats().diskBytes());
            }
            System.out.printf("compaction past a corrupt live record: %d segments, %d bytes on disk at the end, at most %d%n",
                    j.stats().segments(), j.stats().diskBytes(), most);
            assertTrue(j.stats().diskBytes() < 8 * (16 << 10), "the journal kept growing: " + j.stats().diskBytes() + " bytes on disk");
        }
    }
}
