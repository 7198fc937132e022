package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Damaged journal files, found by the checksums and the segment HEADERs at start: a flipped bit and a segment cut in
 * the middle make the journal refuse to open (naming the file, the offset and the fix, changing nothing on disk);
 * salvaged, it opens with every readable record and reports exactly what it could not read; the next start is clean.
 * A torn tail of the newest segment (a crash mid-write) is still cut off and only logged.
 */
class JournalCorruptionTest {
    private static final long SEGMENT = 8 << 10;
    private static final int MESSAGES = 100;

    private static Path journal(String tag) throws IOException {
        Path d = Path.of("target", "hub-data", "corrupt-" + tag + "-" + UUID.randomUUID());
        try (Journal j = Journal.open(d, SEGMENT)) {
            for (int i = 0; i < MESSAGES; i++) {
                Message m = Message.to("any@corrupt").id("m" + i).payload(new byte[200]).build();
                j.append(List.of(JournalRecord.send(j.nextSeq(), m, 0))).join();
            }
        }
        return d;
    }

    private static List<Path> segments(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
        }
    }

    /** Offset and framed length of every record of a segment. */
    private static List<long[]> records(Path segment) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(segment));
        List<long[]> out = new ArrayList<>();
        while (b.remaining() >= 8) {
            int at = b.position(), len = b.getInt();
            out.add(new long[] {at, len + 8});
            b.position(at + 8 + len);
        }
        return out;
    }

    private static byte[][] contents(List<Path> files) throws IOException {
        byte[][] all = new byte[files.size()][];
        for (int i = 0; i < files.size(); i++) all[i] = Files.readAllBytes(files.get(i));
        return all;
    }

    private static Set<String> ids(Journal j) {
        return j.recovered().stream().map(r -> r.message().id()).collect(Collectors.toSet());
    }

    @Test
    void aFlippedBitInTheMiddleOfASegmentStopsTheStartNamingFileOffsetAndFix() throws Exception {
        Path d = journal("bit");
        List<Path> files = segments(d);
        assertTrue(files.size() >= 3, "the test needs segments with successors: " + files);
        Path first = files.get(0);
        long[] target = records(first).get(5); // after the HEADER: the SEND of m4
        try (FileChannel ch = FileChannel.open(first, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            long at = target[0] + target[1] - 10; // in the payload
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x10)).rewind();
            ch.write(one, at);
        }
        byte[][] before = contents(files);

        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> Journal.open(d, SEGMENT));
        assertEquals(1, e.damage.size(), e.getMessage());
        assertTrue(e.getMessage().contains(first.getFileName() + " at offset " + target[0] + " (" + target[1] + " bytes)"), e.getMessage());
        assertTrue(e.getMessage().contains("message id m4") && e.getMessage().contains("--salvage-journal"), e.getMessage());
        assertArrayEquals(before, contents(segments(d)), "a refused start changes nothing on disk");

        try (Journal j = Journal.open(d, Journal.Config.of(SEGMENT).withSalvage(true))) {
            assertEquals(MESSAGES - 1, j.recovered().size(), "every readable record recovered, the records after the damage included");
            assertFalse(ids(j).contains("m4"));
            Journal.Health h = j.health();
            assertEquals("salvaged", h.state());
            assertEquals(1, h.damage().size());
            assertEquals(target[0], h.damage().get(0).offset());
            assertTrue(h.damage().get(0).reason().contains("checksum mismatch; unverified content: SEND"), h.damage().get(0).reason());
            assertArrayEquals(before[0], Files.readAllBytes(h.damagedDir().resolve(first.getFileName())), "the damaged file is kept");
        }
        try (Journal j = Journal.open(d, SEGMENT)) {
            assertEquals(MESSAGES - 1, j.recovered().size(), "the next start is clean");
            assertEquals("ok", j.health().state());
        }
    }

    @Test
    void aSegmentCutInTheMiddleIsDamageNotATornTail() throws Exception {
        Path d = journal("cut");
        List<Path> files = segments(d);
        Path first = files.get(0);
        long size = Files.size(first), cut = size / 2;
        long lost = records(first).stream().filter(r -> r[0] > 0 && r[0] + r[1] > cut).count(); // the HEADER at 0 stays
        try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
            ch.truncate(cut);
        }

        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> Journal.open(d, SEGMENT));
        assertEquals(1, e.damage.size(), e.getMessage());
        assertTrue(e.getMessage().contains(first.getFileName().toString()) && e.getMessage().contains("cut short")
                && e.getMessage().contains("recorded " + size + " bytes"), e.getMessage());

        try (Journal j = Journal.open(d, Journal.Config.of(SEGMENT).withSalvage(true))) {
            assertEquals(MESSAGES - lost, j.recovered().size(), "exactly the records in the cut-off bytes are missing");
            assertEquals(1, j.health().damage().size());
        }
        try (Journal j = Journal.open(d, SEGMENT)) {
            assertEquals(MESSAGES - lost, j.recovered().size());
        }
        System.out.printf("cut segment: %d of %d bytes kept, %d records lost, %d recovered%n", cut, size, lost, MESSAGES - lost);
    }

    @Test
    void theHubRefusesToStartOnDamageAndReportsItInHealthWhenSalvaging() throws Exception {
        Path d = journal("hub");
        Path second = segments(d).get(1);
        long size = Files.size(second);
        try (FileChannel ch = FileChannel.open(second, StandardOpenOption.WRITE)) {
            ch.truncate(size - 300);
        }
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> CourierHub.start(HubOptions.defaults(0, d)));
        assertTrue(e.getMessage().contains("the hub could not start") && e.getMessage().contains(second.getFileName().toString())
                && e.getMessage().contains("--salvage-journal"), e.getMessage());
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, d).withSalvageJournal(true))) {
            com.fasterxml.jackson.databind.JsonNode j = DiskTestSupport.health(hub).get("journal");
            assertEquals("salvaged", j.get("state").asText(), j.toString());
            assertEquals(1, j.get("damage").size(), j.toString());
            assertTrue(j.get("damage").get(0).get("file").asText().endsWith(second.getFileName().toString()), j.toString());
            assertTrue(j.get("damage").get(0).get("reason").asText().contains("cut short"), j.toString());
        }
    }

    @Test
    void aMissingSegmentIsDamage() throws Exception {
        Path d = journal("missing");
        List<Path> files = segments(d);
        Files.delete(files.get(1));
        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> Journal.open(d, SEGMENT));
        assertTrue(e.getMessage().contains(files.get(1).getFileName() + " missing from the chain"), e.getMessage());
    }

    @Test
    void aTornTailOfTheNewestSegmentIsCutOffAndOnlyLogged() throws Exception {
        Path d = journal("torn");
        List<Path> files = segments(d);
        Path newest = files.get(files.size() - 1);
        byte[] partial = JournalRecord.send(10_000, Message.to("any@corrupt").id("torn").payload(new byte[200]).build(), 0).encode();
        Files.write(newest, Arrays.copyOf(partial, partial.length / 2), StandardOpenOption.APPEND);
        try (Journal j = Journal.open(d, SEGMENT)) {
            assertEquals(MESSAGES, j.recovered().size());
            assertEquals("ok", j.health().state());
        }
    }
}
