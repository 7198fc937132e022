package io.courier.http.hub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How a hub runs.
 *
 * @param host            address to listen on ({@code 127.0.0.1} by default; {@code 0.0.0.0} for every interface)
 * @param port            TCP port; 0 picks a free one (see {@link CourierHub#port()})
 * @param dataDir         directory of the journal; created if missing
 * @param token           bearer token every request must carry, or null for none
 * @param maxPayloadBytes largest message (payload plus headers) accepted; larger ones get 413
 * @param maxBodyBytes    largest request body; larger ones get 413
 * @param segmentBytes    journal segment size at which a new segment starts
 * @param sessionTimeout  a poller that sends nothing for this long is gone: its leases are released
 * @param maxWait         longest long-poll wait a receive may ask for
 * @param pushAllow       hosts the hub may push to (exact names or addresses); empty: loopback only
 * @param push            push subscriptions made at start, each {@code GROUP[/MEMBER]=URL} (signed with {@code pushSecret})
 * @param pushSecret      the Standard Webhooks secret of the {@code push} subscriptions made at start
 * @param minFreeDiskBytes free space kept on the journal's file system for acks and compaction: a send that would
 *                        leave less is refused (503 {@code disk_full}) until space returns
 * @param salvageJournal  start on a damaged journal with every readable record (moving the damaged segments aside and
 *                        reporting what was lost in the log and {@code /v1/health}) instead of refusing to start
 * @param maxHeldBytes    the heap that unacked messages may take (estimated: their strings and the objects holding
 *                        them; not their payloads, which stay in the journal); a send that would pass it is refused (503 {@code hub_full}) until consumers catch up.
 *                        0: the default, {@link #DEFAULT_HELD_SHARE} of the heap, so that the hub never runs out of
 *                        memory and always starts again on its journal with the same heap
 * @param maxJournalBytes the disk the journal's segments may take; a send that would pass it is refused (503
 *                        {@code hub_full}, naming {@code --max-journal-bytes}) until acks let compaction bring it back
 *                        under. 0 (the default): no limit of its own, the file system's free space
 *                        ({@code minFreeDiskBytes}) is the limit. At least twice {@code segmentBytes} (the active
 *                        segment is never compacted)
 */
public record HubOptions(String host, int port, Path dataDir, String token, long maxPayloadBytes, long maxBodyBytes,
                         long segmentBytes, Duration sessionTimeout, Duration maxWait, List<String> pushAllow, List<String> push,
                         String pushSecret, long minFreeDiskBytes, boolean salvageJournal, long maxHeldBytes,
                         long maxJournalBytes) {

    /** The share of the heap ({@code -Xmx}) that unacked messages may take by default. */
    public static final double DEFAULT_HELD_SHARE = 0.4;

    /** The free disk space a hub keeps by default for acks and compaction: 64 MiB. */
    public static final long DEFAULT_MIN_FREE_DISK = 64L << 20;

    public HubOptions(String host, int port, Path dataDir, String token, long maxPayloadBytes, long maxBodyBytes,
                      long segmentBytes, Duration sessionTimeout, Duration maxWait) {
        this(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, List.of(), List.of(), null);
    }

    public HubOptions(String host, int port, Path dataDir, String token, long maxPayloadBytes, long maxBodyBytes,
                      long segmentBytes, Duration sessionTimeout, Duration maxWait, List<String> pushAllow, List<String> push,
                      String pushSecret) {
        this(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret,
                DEFAULT_MIN_FREE_DISK, false, 0);
    }

    /** The options without a journal size limit ({@code maxJournalBytes} 0). */
    public HubOptions(String host, int port, Path dataDir, String token, long maxPayloadBytes, long maxBodyBytes,
                      long segmentBytes, Duration sessionTimeout, Duration maxWait, List<String> pushAllow, List<String> push,
                      String pushSecret, long minFreeDiskBytes, boolean salvageJournal, long maxHeldBytes) {
        this(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret,
                minFreeDiskBytes, salvageJournal, maxHeldBytes, 0);
    }

    public HubOptions {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("hub port must be 0 to 65535, got " + port);
        if (dataDir == null) throw new IllegalArgumentException("hub data directory missing: give one, e.g. --data ./courier-data");
        if (token != null && token.isBlank()) token = null;
        pushAllow = pushAllow == null ? List.of() : List.copyOf(pushAllow);
        push = push == null ? List.of() : List.copyOf(push);
        if (pushSecret != null && pushSecret.isBlank()) pushSecret = null;
        if (!push.isEmpty() && pushSecret == null) {
            throw new IllegalArgumentException("--push needs a signing secret: give --push-secret S or the environment variable COURIER_PUSH_SECRET");
        }
        if (maxHeldBytes < 0) throw new IllegalArgumentException("max held bytes must be 0 (a share of the heap) or more, got " + maxHeldBytes);
        if (maxJournalBytes < 0 || (maxJournalBytes > 0 && maxJournalBytes < 2 * segmentBytes)) {
            throw new IllegalArgumentException("max journal bytes must be 0 (no limit) or at least twice the segment size (" + 2 * segmentBytes
                    + " bytes), got " + maxJournalBytes + ": the active segment is never compacted, so under a smaller limit a drained hub could"
                    + " stay full. Fix: give --max-journal-bytes " + 2 * segmentBytes + " or more (or a smaller segment size, --segment-bytes of the hub's own launcher)");
        }
        if (minFreeDiskBytes < 0) throw new IllegalArgumentException("min free disk must be 0 or more bytes, got " + minFreeDiskBytes);
        if (maxPayloadBytes < 1 || maxBodyBytes < maxPayloadBytes) {
            throw new IllegalArgumentException("max body (" + maxBodyBytes + ") must be at least the max payload (" + maxPayloadBytes + ")");
        }
    }

    /** Defaults: 127.0.0.1, no token, 1 MiB messages, 16 MiB bodies, 64 MiB segments, 30 s sessions, 30 s waits. */
    public static HubOptions defaults(int port, Path dataDir) {
        return new HubOptions("127.0.0.1", port, dataDir, null, 1 << 20, 16 << 20, 64L << 20, Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    public HubOptions withToken(String t) { return new HubOptions(host, port, dataDir, t, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    public HubOptions withHost(String h) { return new HubOptions(h, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    public HubOptions withLimits(long payload, long body) { return new HubOptions(host, port, dataDir, token, payload, body, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    public HubOptions withSegmentBytes(long bytes) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, bytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    public HubOptions withSessionTimeout(Duration d) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, d, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    /** Hosts the hub may push to (empty: loopback only). */
    public HubOptions withPushAllow(List<String> hosts) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, hosts, push, pushSecret, minFreeDiskBytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    /** Push subscriptions to make at start ({@code GROUP[/MEMBER]=URL}), signed with {@code secret}. */
    public HubOptions withPush(List<String> subscriptions, String secret) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, subscriptions, secret, minFreeDiskBytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    /** Free bytes kept on the journal's file system for acks and compaction (default {@link #DEFAULT_MIN_FREE_DISK}; 0: none). */
    public HubOptions withMinFreeDisk(long bytes) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, bytes, salvageJournal, maxHeldBytes, maxJournalBytes); }

    /** Start on a damaged journal with every readable record, reporting what was lost, instead of refusing to start. */
    public HubOptions withSalvageJournal(boolean on) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, on, maxHeldBytes, maxJournalBytes); }

    /** The heap unacked messages may take before sends are refused with 503 {@code hub_full} (0: a share of the heap). */
    public HubOptions withMaxHeldBytes(long bytes) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, salvageJournal, bytes, maxJournalBytes); }

    /** The disk the journal may take before sends are refused with 503 {@code hub_full} (0: no limit; else at least two segments). */
    public HubOptions withMaxJournalBytes(long bytes) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait, pushAllow, push, pushSecret, minFreeDiskBytes, salvageJournal, maxHeldBytes, bytes); }

    /** {@link #maxHeldBytes}, or its default when 0. */
    public long heldBytesLimit() {
        return maxHeldBytes > 0 ? maxHeldBytes : (long) (Runtime.getRuntime().maxMemory() * DEFAULT_HELD_SHARE);
    }
}
