package io.courier.http.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjIntConsumer;

/**
 * Reads the records of one journal segment and finds the regions between them that are not records. After an
 * unreadable record it looks for the next offset where a whole record with a matching checksum starts (so that one
 * flipped bit costs one record, and the records after it are still read) instead of giving up on the segment.
 * Whether a region is a torn tail (a crash during a write) or damage is for the caller to say: it knows whether a
 * later segment vouches for this one's length.
 */
final class SegmentScan {
    private SegmentScan() {}

    /** Bytes {@code [from, to)} are not records; {@code to} is the next readable record or the end of the file. */
    record Bad(long from, long to, String note) {}

    /**
     * Calls {@code each} with every readable record and its framed length, in file order; answers the unreadable
     * regions. {@code maxRecordBytes} bounds the length a record may claim (the hub never writes a larger one).
     */
    static List<Bad> scan(byte[] all, int maxRecordBytes, ObjIntConsumer<JournalRecord> each) {
        List<Bad> bad = new ArrayList<>();
        int pos = 0;
        while (pos < all.length) {
            JournalRecord r = read(all, pos, maxRecordBytes);
            if (r != null) {
                int framed = length(all, pos) + 8;
                each.accept(r, framed);
                pos += framed;
                continue;
            }
            int next = pos + 1;
            while (next < all.length && read(all, next, maxRecordBytes) == null) next++;
            bad.add(new Bad(pos, next, describe(all, pos, next)));
            pos = next;
        }
        return bad;
    }

    /**
     * The length of its predecessor that the segment {@code p} recorded in its HEADER record when it was started, or -1
     * when it has none (the journal's first segment, a fresh chain after a salvage, a file without a readable header).
     */
    static long predecessorLength(Path p, int maxRecordBytes) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(p)) {
            head = in.readNBytes(64);
        }
        JournalRecord r = read(head, 0, maxRecordBytes);
        return r != null && r.type() == JournalRecord.Type.HEADER ? r.seq() : -1;
    }

    /** The record framed at {@code pos}, or null when there is none: too short, implausible, checksum or decoding fails. */
    private static JournalRecord read(byte[] all, int pos, int maxRecordBytes) {
        if (all.length - pos < 8 + 13) return null;
        int len = length(all, pos);
        if (len < 13 || len > maxRecordBytes || len > all.length - pos - 8) return null;
        if ((all[pos + 8] & 0xff) >= JournalRecord.Type.values().length) return null; // cheap test before the checksum
        if (!JournalRecord.checks(all, pos + 8, len, ByteBuffer.wrap(all, pos + 4, 4).getInt())) return null;
        try {
            return JournalRecord.decode(all, pos + 8, len);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int length(byte[] all, int pos) { return ByteBuffer.wrap(all, pos, 4).getInt(); }

    /** What the region holds: when its first bytes frame a record whose body still decodes, what that record was (unverified). */
    private static String describe(byte[] all, int from, int to) {
        if (all.length - from < 8) return "a partial record header";
        int len = length(all, from);
        if (len < 13 || len > all.length - from - 8) return to == all.length ? "a record cut short or overwritten" : "bytes that frame no record";
        try {
            JournalRecord r = JournalRecord.decode(all, from + 8, len);
            String what = r.type() + " of journal seq " + r.seq()
                    + (r.message() != null ? ", message id " + r.message().id() + " to " + r.message().destination() : "");
            return "checksum mismatch; unverified content: " + what;
        } catch (IOException | RuntimeException e) {
            return "checksum mismatch; the record does not decode";
        }
    }
}
