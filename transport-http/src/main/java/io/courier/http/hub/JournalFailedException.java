package io.courier.http.hub;

import java.io.IOException;

/**
 * The journal could not force what it wrote (a failed fsync): it accepts nothing more until the hub is restarted,
 * because after a failed fsync the kernel may have dropped the unwritten pages, and a later fsync that succeeds would
 * prove nothing (answered 503 {@code journal_failed}).
 */
final class JournalFailedException extends IOException {
    JournalFailedException(String message, Throwable cause) { super(message, cause); }
}
