package io.courier.http.hub;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Journal}'s start: reads every segment in order into the {@link LiveIndex} (SEND adds, ACK removes,
 * ATTEMPTS updates the delivery count) and tells damage from a torn tail. Every segment's HEADER names its
 * predecessor's length, so a segment cut short, a missing segment or an unreadable record followed by readable ones
 * is damage ({@link JournalDamage}); only an unreadable end that no later segment vouches for is a torn tail (a
 * crash during a write, never answered), which is cut off and logged.
 */
final class JournalReplay {
    private static final Logger log = LoggerFactory.getLogger(JournalReplay.class);

    /** What the replay found: the segments, open, oldest first; the highest sequence number; the damage, if any. */
    record Result(List<Segment> segments, long maxSeq, List<JournalDamage> damage) {}

    private final Path dir;
    private final Journal.Config config;
    private final LiveIndex index;
    private final List<Segment> segments = new ArrayList<>();
    private final List<JournalDamage> damage = new ArrayList<>();
    private final Map<Segment, Long> torn = new LinkedHashMap<>();
    private long maxSeq;

    private JournalReplay(Path dir, Journal.Config config, LiveIndex index) {
        this.dir = dir;
        this.config = config;
        this.index = index;
    }

    /**
     * Replays every segment of {@code dir} into {@code index}. Damage makes it throw {@link JournalCorruptException}
     * with nothing on disk changed (and every file closed), unless {@code config} salvages: then the damage is in the
     * result, for the journal to salvage. A torn tail is truncated.
     */
    static Result replay(Path dir, Journal.Config config, LiveIndex index) throws IOException {
        return new JournalReplay(dir, config, index).run();
    }

    private Result run() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().matches("seg-\\d{16}\\.log")).sorted().toList();
        }
        long prevId = -1;
        for (int k = 0; k < files.size(); k++) {
            Path p = files.get(k);
            long id = Segment.idOf(p);
            if (prevId >= 0 && id != prevId + 1) {
                damage.add(new JournalDamage(dir.resolve(Segment.name(prevId + 1)), 0, -1, "segment file(s) " + Segment.name(prevId + 1)
                        + (id - 1 > prevId + 1 ? " to " + Segment.name(id - 1) : "") + " missing from the chain: whatever they held is lost"));
            }
            prevId = id;
            Path next = k + 1 < files.size() && Segment.idOf(files.get(k + 1)) == id + 1 ? files.get(k + 1) : null;
            segment(p, id, next);
        }
        if (!damage.isEmpty() && !config.salvage()) {
            for (Segment s : segments) s.channel.close();
            throw new JournalCorruptException(refusal(), damage);
        }
        for (Map.Entry<Segment, Long> t : torn.entrySet()) {
            Segment s = t.getKey();
            log.warn("transport=http journal {}: {} bytes after offset {} are a torn record (a crash during a write; never answered); ignored and truncated",
                    s.path, Files.size(s.path) - t.getValue(), t.getValue());
            s.channel.truncate(t.getValue());
            s.channel.force(true);
        }
        return new Result(segments, maxSeq, damage);
    }

    /** Replays segment {@code p}; {@code next}, its successor in the chain (null: none), vouches for its length. */
    private void segment(Path p, long id, Path next) throws IOException {
        long expected = next == null ? -1 : SegmentScan.predecessorLength(next, config.maxRecordBytes());
        FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.READ);
        Segment seg = new Segment(id, p, ch, 0);
        segments.add(seg);
        // mapped, not read: a segment is scanned off the heap, and only what scheduling needs is kept of each record
        MappedByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
        List<SegmentScan.Bad> bad = SegmentScan.scan(all, config.maxRecordBytes(), (r, at, len) -> {
            index.apply(r, seg, at, len, r.type() == JournalRecord.Type.SEND ? r.withoutPayload().message() : r.message());
            if (r.type() != JournalRecord.Type.HEADER) maxSeq = Math.max(maxSeq, r.seq());
        });
        seg.size = all.capacity();
        boolean shortfallReported = false;
        for (SegmentScan.Bad region : bad) {
            boolean tail = region.to() == all.capacity();
            if (tail && (expected < 0 || region.from() >= expected)) { // the end of a write a crash cut: only ever unanswered records
                torn.put(seg, region.from());
                seg.size = region.from();
                continue;
            }
            String reason = region.note();
            long end = region.to();
            if (tail && all.capacity() < expected) {
                reason += "; the file ends at byte " + all.capacity() + " but " + next.getFileName() + " recorded " + expected
                        + " bytes for it: the segment was cut short";
                end = expected;
                shortfallReported = true;
            }
            damage.add(new JournalDamage(p, region.from(), end - region.from(), reason));
        }
        if (!shortfallReported && all.capacity() < expected) {
            damage.add(new JournalDamage(p, all.capacity(), expected - all.capacity(), "the file ends at byte " + all.capacity() + " but "
                    + next.getFileName() + " recorded " + expected + " bytes for it: the segment was cut short, the records in the missing bytes are lost"));
        }
        ch.position(seg.size);
    }

    private String refusal() {
        StringBuilder b = new StringBuilder("the hub's journal in ").append(dir).append(" is damaged, and the hub does not start on it,"
                + " so that nothing is dropped without your say (nothing on disk was changed):");
        for (JournalDamage d : damage) b.append("\n  - ").append(d);
        return b.append("\nFix: restore ").append(dir).append(" from a backup, or start the hub with --salvage-journal"
                + " (HubOptions.withSalvageJournal(true)): it starts with every readable record, moves the damaged segment files to ")
                .append(dir).append("/damaged-<time>/, and reports the above in its log (ERROR) and in GET /v1/health").toString();
    }
}
