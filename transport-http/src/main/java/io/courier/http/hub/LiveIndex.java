package io.courier.http.hub;

import io.courier.Message;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which records of the {@link Journal} are live (unacked SENDs, undeleted PUSH subscriptions) and where each is on
 * disk: not what it says, as the payload stays in the segment and is read back by {@link RecordReader}. Records are
 * applied in journal order (replay, then the writer thread); readers on other threads look entries up concurrently.
 */
final class LiveIndex {
    /**
     * A live record: its segment, offset and framed length, its delivery count. {@code meta} is the message without
     * its payload, kept only from the replay until {@link #takeRecovered()}. The location changes under the entry's
     * lock (compaction moves it).
     */
    static final class Entry {
        final JournalRecord.Type type;
        final long seq;
        volatile int deliveries;
        Segment segment;
        long offset;
        int bytes;
        Message meta;

        Entry(JournalRecord r, Segment segment, long offset, int bytes, Message meta) {
            this.type = r.type();
            this.seq = r.seq();
            this.deliveries = r.deliveries();
            this.segment = segment;
            this.offset = offset;
            this.bytes = bytes;
            this.meta = meta;
        }

        synchronized void moveTo(Segment s, long at, int length) {
            segment = s;
            offset = at;
            bytes = length;
        }
    }

    private final Map<Long, Entry> entries = new ConcurrentHashMap<>();

    /** Applies a record found at {@code offset} of {@code segment}; {@code meta}: the message to recover (replay only). */
    void apply(JournalRecord r, Segment segment, long offset, int bytes, Message meta) {
        switch (r.type()) {
            case SEND, PUSH -> {
                Entry old = entries.put(r.seq(), new Entry(r, segment, offset, bytes, meta));
                if (old != null) release(old);
                segment.live++;
                segment.liveBytes += bytes;
            }
            case ACK -> {
                Entry old = entries.remove(r.seq());
                if (old != null) release(old);
            }
            case ATTEMPTS -> {
                Entry l = entries.get(r.seq());
                if (l != null) l.deliveries = Math.max(l.deliveries, r.deliveries());
            }
            case HEADER -> { }
        }
    }

    /** Takes {@code e} out of its segment's live counts (before it moves, or once it is no longer live). */
    static void release(Entry e) {
        e.segment.live--;
        e.segment.liveBytes -= e.bytes;
    }

    /** The live record {@code seq}, or null. */
    Entry get(long seq) { return entries.get(seq); }

    int size() { return entries.size(); }

    /** The live records of {@code s} in journal order. */
    List<Entry> in(Segment s) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.values()) if (e.segment == s) out.add(e);
        out.sort(Comparator.comparingLong(e -> e.seq));
        return out;
    }

    /** Every live record in journal order. */
    List<Entry> all() {
        List<Entry> out = new ArrayList<>(entries.values());
        out.sort(Comparator.comparingLong(e -> e.seq));
        return out;
    }

    /** The live records found at start, their messages without payloads, in journal order; the index forgets the messages. */
    List<JournalRecord> takeRecovered() {
        List<JournalRecord> live = new ArrayList<>(entries.size());
        for (Entry e : all()) {
            live.add(new JournalRecord(e.type, e.seq, e.meta, e.deliveries));
            e.meta = null;
        }
        return live;
    }
}
