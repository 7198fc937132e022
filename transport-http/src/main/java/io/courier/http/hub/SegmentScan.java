package io.courier.http.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /** Told of each readable record: the record, the offset of its frame in the segment, the frame's length. */
    @FunctionalInterface
    interface Each { void accept(JournalRecord r, long offset, int framed); }

    /**
     * Calls {@code each} with every readable record, its offset and its framed length, in file order; answers the
     * unreadable regions; a SEND comes without its payload. {@code all} is the whole segment (mapped, so that it is not on the heap);
     * {@code maxRecordBytes} bounds the length a record may claim (the hub never writes a larger one).
     */
    static List<Bad> scan(ByteBuffer all, int maxRecordBytes, Each each) {
        List<Bad> bad = new ArrayList<>();
        int pos = 0;
        int end = all.capacity();
        while (pos < end) {
            JournalRecord r = read(all, pos, maxRecordBytes);
            if (r != null) {
                int framed = length(all, pos) + 8;
                each.accept(r, pos, framed);
                pos += framed;
                continue;
            }
            int next = pos + 1;
            while (next < end && read(all, next, maxRecordBytes) == null) next++;
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
        JournalRecord r = read(ByteBuffer.wrap(head), 0, maxRecordBytes);
        return r != null && r.type() == JournalRecord.Type.HEADER ? r.seq() : -1;
    }

    /** The record framed at {@code pos}, or null when there is none: too short, implausible, checksum or decoding fails. */
    private static JournalRecord read(ByteBuffer all, int pos, int maxRecordBytes) {
        if (all.capacity() - pos < 8 + 13) return null;
        int len = length(all, pos);
        if (len < 13 || len > maxRecordBytes || len > all.capacity() - pos - 8) return null;
        if ((all.get(pos + 8) & 0xff) >= JournalRecord.Type.values().length) return null; // cheap test before the checksum
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(all.slice(pos + 8, len)); // checked where it is: a garbage length never costs a copy
        if ((int) crc.getValue() != all.getInt(pos + 4)) return null;
        try {
            return JournalRecord.decodeSkippingPayload(all.slice(pos + 8, len)); // the payload stays in the segment
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int length(ByteBuffer all, int pos) { return all.getInt(pos); }

    /** The {@code len} bytes of the record body framed at {@code pos}, copied to the heap (one record at a time). */
    private static byte[] body(ByteBuffer all, int pos, int len) {
        byte[] b = new byte[len];
        all.get(pos + 8, b);
        return b;
    }

    /** What the region holds: when its first bytes frame a record whose body still decodes, what that record was (unverified). */
    private static String describe(ByteBuffer all, int from, int to) {
        if (all.capacity() - from < 8) return "a partial record header";
        int len = length(all, from);
        if (len < 13 || len > all.capacity() - from - 8) return to == all.capacity() ? "a record cut short or overwritten" : "bytes that frame no record";
        try {
            JournalRecord r = JournalRecord.decode(body(all, from, len));
            String what = r.type() + " of journal seq " + r.seq()
                    + (r.message() != null ? ", message id " + r.message().id() + " to " + r.message().destination() : "");
            return "checksum mismatch; unverified content: " + what;
        } catch (IOException | RuntimeException e) {
            return "checksum mismatch; the record does not decode";
        }
    }
}
