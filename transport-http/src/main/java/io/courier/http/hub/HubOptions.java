package io.courier.http.hub;

import java.nio.file.Path;
import java.time.Duration;

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
 */
public record HubOptions(String host, int port, Path dataDir, String token, long maxPayloadBytes, long maxBodyBytes,
                         long segmentBytes, Duration sessionTimeout, Duration maxWait) {

    public HubOptions {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("hub port must be 0 to 65535, got " + port);
        if (dataDir == null) throw new IllegalArgumentException("hub data directory missing: give one, e.g. --data ./courier-data");
        if (token != null && token.isBlank()) token = null;
        if (maxPayloadBytes < 1 || maxBodyBytes < maxPayloadBytes) {
            throw new IllegalArgumentException("max body (" + maxBodyBytes + ") must be at least the max payload (" + maxPayloadBytes + ")");
        }
    }

    /** Defaults: 127.0.0.1, no token, 1 MiB messages, 16 MiB bodies, 64 MiB segments, 30 s sessions, 30 s waits. */
    public static HubOptions defaults(int port, Path dataDir) {
        return new HubOptions("127.0.0.1", port, dataDir, null, 1 << 20, 16 << 20, 64L << 20, Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    public HubOptions withToken(String t) { return new HubOptions(host, port, dataDir, t, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait); }

    public HubOptions withHost(String h) { return new HubOptions(h, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, sessionTimeout, maxWait); }

    public HubOptions withLimits(long payload, long body) { return new HubOptions(host, port, dataDir, token, payload, body, segmentBytes, sessionTimeout, maxWait); }

    public HubOptions withSegmentBytes(long bytes) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, bytes, sessionTimeout, maxWait); }

    public HubOptions withSessionTimeout(Duration d) { return new HubOptions(host, port, dataDir, token, maxPayloadBytes, maxBodyBytes, segmentBytes, d, maxWait); }
}
