package io.courier.http.hub;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * Reads a live record back from the segment that holds it (a positional read, served by the page cache while the
 * segment is recent) and verifies its checksum: the payloads of unacked messages stay on disk, and this is how a
 * delivery, a dead letter or a compaction gets them.
 */
final class RecordReader {
    private RecordReader() {}

    /**
     * The payload of the live message {@code seq}, or null when the journal no longer holds it (acked meanwhile). A
     * record that no longer reads back intact is a {@link RecordUnreadableException} naming the segment and offset.
     */
    static byte[] payload(LiveIndex index, long seq) throws IOException {
        for (int tries = 0; ; tries++) {
            LiveIndex.Entry l = index.get(seq);
            if (l == null) return null;
            Segment s;
            long at;
            int length;
            synchronized (l) {
                s = l.segment;
                at = l.offset;
                length = l.bytes;
            }
            try {
                return read(s, at, length).message().payload();
            } catch (ClosedChannelException moved) { // compaction moved it and deleted the segment: look again
                if (tries >= 3 || Thread.currentThread().isInterrupted()) throw moved;
            }
        }
    }

    /**
     * Reads and verifies the record framed at {@code at} in {@code s}: a record that does not read back intact is a
     * {@link RecordUnreadableException} naming the segment, the offset and what is wrong. A closed channel (compaction
     * deleted the segment meanwhile) is a plain {@link ClosedChannelException}: the record has moved, not rotted.
     */
    static JournalRecord read(Segment s, long at, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        try {
            while (b.hasRemaining()) {
                if (s.channel.read(b, at + b.position()) < 0) break;
            }
        } catch (ClosedChannelException moved) {
            throw moved;
        } catch (IOException e) {
            throw new RecordUnreadableException(new JournalDamage(s.path, at, length, "unreadable (I/O error: " + e.getMessage() + ")"), e);
        }
        if (b.hasRemaining()) {
            throw new RecordUnreadableException(new JournalDamage(s.path, at, length, "unreadable (the segment ends at byte "
                    + (at + b.position()) + ", inside the record)"), null);
        }
        byte[] all = b.array();
        int body = length - 8;
        if (ByteBuffer.wrap(all).getInt(0) != body || !JournalRecord.checks(all, 8, body, ByteBuffer.wrap(all).getInt(4))) {
            throw new RecordUnreadableException(new JournalDamage(s.path, at, length, "checksum mismatch"), null);
        }
        return JournalRecord.decode(all, 8, body);
    }
}
