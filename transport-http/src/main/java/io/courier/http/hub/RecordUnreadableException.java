package io.courier.http.hub;

import java.io.IOException;

/**
 * A live record that no longer reads back intact from its segment: its checksum does not match (a bit flipped, the
 * file changed), the segment ends inside it, or the read failed with an I/O error. The message it holds cannot be
 * delivered as it was sent; the hub dead-letters it (empty payload, {@link #reason()} as the reason) instead of
 * offering it again and again.
 */
final class RecordUnreadableException extends IOException {
    private final JournalDamage damage;

    RecordUnreadableException(JournalDamage damage, Throwable cause) {
        super("the journal record in " + damage + " (the file was changed or the disk is failing): the message it holds cannot be delivered", cause);
        this.damage = damage;
    }

    /** Where and what: the segment file, the record's offset and length, what is wrong. */
    JournalDamage damage() { return damage; }

    /** The dead-letter reason: {@code journal record corrupt: <what> in segment <file> at offset <n> (<len> bytes)}. */
    String reason() {
        return "journal record corrupt: " + damage.reason() + " in segment " + damage.file().getFileName() + " at offset " + damage.offset()
                + " (" + damage.bytes() + " bytes)";
    }
}
