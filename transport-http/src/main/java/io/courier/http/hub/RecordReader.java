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
     * record that no longer matches its checksum is an {@link IOException} naming the segment and offset.
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

    /** Reads and verifies the record framed at {@code at} in {@code s}. */
    static JournalRecord read(Segment s, long at, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (s.channel.read(b, at + b.position()) < 0) break;
        }
        byte[] all = b.array();
        int body = length - 8;
        if (b.hasRemaining() || ByteBuffer.wrap(all).getInt(0) != body || !JournalRecord.checks(all, 8, body, ByteBuffer.wrap(all).getInt(4))) {
            throw new IOException("the journal record of " + length + " bytes at offset " + at + " of " + s.path + " no longer reads back"
                    + " intact (the file was changed or the disk is failing): the message it holds cannot be delivered");
        }
        return JournalRecord.decode(all, 8, body);
    }
}
