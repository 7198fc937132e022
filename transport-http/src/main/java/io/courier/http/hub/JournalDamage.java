package io.courier.http.hub;

import java.nio.file.Path;

/**
 * One region of the journal that replay could not read: a record whose checksum does not match followed by readable
 * records, a segment shorter than its successor's header says it was, or a segment file missing from the chain.
 *
 * @param file   the segment file (for a missing segment: the path it would have)
 * @param offset the first unreadable byte
 * @param bytes  how many bytes are unreadable (-1 when unknown: a missing file)
 * @param reason what is wrong, and, when the damaged bytes still decode, what the record probably was (unverified)
 */
record JournalDamage(Path file, long offset, long bytes, String reason) {
    @Override
    public String toString() {
        return file + " at offset " + offset + (bytes >= 0 ? " (" + bytes + " bytes)" : "") + ": " + reason;
    }
}
