package io.courier.kafka;

import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Offset bookkeeping of one assigned partition (poll thread only, except {@link #handed}): the records fetched and
 * not yet done, so that the committed offset is the lowest outstanding one and never passes an unsettled record
 * (C2, C5), and how far records were handed out, carried in the commit metadata so that the next owner of the
 * partition can count a re-read as a redelivery (C15).
 *
 * <p>Commit metadata: {@code courier:h=H,x=X}: records from the committed offset up to offset {@code H} were
 * delivered {@code X} extra times beyond their {@code courier-attempt} header; the next owner delivers them with
 * attempt = header + X + 1.
 */
final class PartitionState {
    private static final String PREFIX = "courier:";

    final TreeMap<Long, KafkaDelivery> outstanding = new TreeMap<>();
    /** Highest offset returned by receive, -1 when none (written by the receiving thread). */
    final AtomicLong handed = new AtomicLong(-1);
    final long inheritedHanded;
    final int inheritedExtra;
    long fetchedUpTo = -1;
    long committedOffset = -1;
    String committedMetadata = "";

    PartitionState(long committedOffset, String metadata) {
        this.committedOffset = committedOffset;
        this.fetchedUpTo = committedOffset;
        long h = -1;
        int x = 0;
        if (metadata != null && metadata.startsWith(PREFIX)) {
            for (String kv : metadata.substring(PREFIX.length()).split(",")) {
                try {
                    if (kv.startsWith("h=")) h = Long.parseLong(kv.substring(2));
                    else if (kv.startsWith("x=")) x = Integer.parseInt(kv.substring(2));
                } catch (NumberFormatException ignored) {
                    // foreign or damaged metadata: count nothing extra
                }
            }
        }
        this.inheritedHanded = h;
        this.inheritedExtra = x;
        this.committedMetadata = metadata == null ? "" : metadata;
    }

    /** Extra deliveries of a record at this offset that its header does not show: a re-read after a takeover. */
    int extraAttempts(long offset) { return offset <= inheritedHanded ? inheritedExtra + 1 : 0; }

    /** The offset to commit: the lowest outstanding record, or past everything fetched; -1 when unknown. */
    long committable() { return outstanding.isEmpty() ? fetchedUpTo : outstanding.firstKey(); }

    /** The metadata to commit with {@link #committable()}. */
    String metadata(long committable) {
        long own = handed.get();
        boolean inherited = committable >= 0 && committable <= inheritedHanded;
        long h = Math.max(own, inherited ? inheritedHanded : -1);
        if (h < committable || committable < 0) return "";
        return PREFIX + "h=" + h + ",x=" + (inherited ? inheritedExtra + 1 : 0);
    }
}
