package io.courier.http.hub;

import java.util.Deque;

/**
 * When the {@link Journal} gives disk back. Only the <em>oldest</em> segment is ever removed (so an ACK never
 * outlives the SEND it cancels): it is deleted when none of its records is live; when it is mostly garbage (live
 * records under a quarter of it), or the whole journal is (more than twice the live bytes plus two segments), its few
 * live records are first rewritten at the head (same sequence number, current delivery count). Disk use therefore
 * stays within about twice the live data plus two segments. Near the journal's size limit ({@link JournalLimit}) a
 * segment half garbage is relocated as well. The journal's writer thread carries the steps out.
 */
final class Compaction {
    private Compaction() {}

    /** What to do next with the oldest segment. */
    enum Step { DONE, DELETE_OLDEST, RELOCATE_OLDEST }

    /**
     * The next step for {@code segments} (oldest first; the last one is the active segment, never removed). Within one
     * segment of the journal's size limit {@code maxBytes} (0: none), an oldest segment that is half garbage or more
     * is relocated too, so that acks give a full journal room again before whole segments are acked.
     */
    static Step next(Deque<Segment> segments, long segmentBytes, long maxBytes) {
        if (segments.size() <= 1) return Step.DONE;
        Segment oldest = segments.peekFirst();
        if (oldest.live == 0) return Step.DELETE_OLDEST;
        long disk = 0, live = 0;
        for (Segment s : segments) { disk += s.size; live += s.liveBytes; }
        boolean sparse = oldest.liveBytes * 4 < oldest.size;
        boolean mostlyGarbage = disk > 2 * segmentBytes + 2 * live;
        boolean nearLimit = maxBytes > 0 && disk > maxBytes - segmentBytes && oldest.liveBytes * 2 < oldest.size;
        return sparse || mostlyGarbage || nearLimit ? Step.RELOCATE_OLDEST : Step.DONE;
    }
}
