package io.courier.http.hub;

import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's size limit ({@link HubOptions#maxJournalBytes()}, {@code --max-journal-bytes}): a send whose records
 * would take the segments past it is refused with {@link HubFullException} (503 {@code hub_full}, {@code Retry-After}),
 * nothing of it stored. Acks, attempt counts and compaction are never refused, so consumers can drain a full hub; the
 * hub accepts again as soon as compaction has deleted enough acked segments.
 */
final class JournalLimit {
    private static final Logger log = LoggerFactory.getLogger(JournalLimit.class);

    private final Path dir;
    private final long maxBytes;
    private volatile long loggedAt;

    /** {@code maxBytes} 0: no limit. */
    JournalLimit(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /**
     * Null when {@code bytes} more fit beside the {@code used} bytes (written and queued); else the refusal, logged at
     * WARN at most once per 10 s (a full hub is refused many times a second).
     */
    HubFullException check(long used, long bytes) {
        if (maxBytes <= 0 || used + bytes <= maxBytes) return null;
        String m = "hub full: its journal in " + dir + " takes " + mib(used) + " MiB and this request " + mib(bytes) + " MiB more, past its"
                + " limit of " + mib(maxBytes) + " MiB (--max-journal-bytes). Nothing of it was accepted. Fix: retry once consumers have"
                + " caught up (acked messages give their space back when compaction deletes their segments), or start the hub with a"
                + " higher --max-journal-bytes (HubOptions.withMaxJournalBytes)";
        long now = System.currentTimeMillis();
        if (now - loggedAt > 10_000) {
            loggedAt = now;
            log.warn("transport=http journal={}: {}", dir, m);
        }
        return new HubFullException(m);
    }

    private static String mib(long bytes) { return String.format(Locale.ROOT, "%.2f", bytes / 1048576.0); }
}
