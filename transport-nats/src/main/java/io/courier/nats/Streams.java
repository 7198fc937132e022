package io.courier.nats;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, idempotently and once per transport, the stream of a group and its durable consumers, with the settings
 * the contract needs: file storage, work-queue retention (a message is removed once acked; consumers never
 * overlap: each subject has exactly one consumer), a duplicate window for {@code Nats-Msg-Id}; consumers with
 * explicit ack, unlimited MaxDeliver (the runtime dead-letters, C7) and AckWait = the creating receiver's ack
 * deadline. Existing streams and consumers are used as they are (their settings are logged when they differ).
 */
final class Streams {
    private static final Logger log = LoggerFactory.getLogger(Streams.class);
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int CONSUMER_NOT_FOUND = 10014;
    /** "replicas > 1 not supported in non-clustered mode" */
    private static final int REPLICAS_NOT_CLUSTERED = 10074;
    /** "insufficient resources": fewer servers (up) than replicas */
    private static final int INSUFFICIENT_RESOURCES = 10023;
    /** "no suitable peers for placement": fewer servers in the cluster (or up) than replicas (2.9 answers this) */
    private static final int NO_SUITABLE_PEERS = 10005;

    private final JetStreamManagement jsm;
    private final NatsSettings settings;
    private final ConcurrentHashMap<String, CompletableFuture<Void>> streams = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Duration> consumers = new ConcurrentHashMap<>();

    Streams(JetStreamManagement jsm, NatsSettings settings) {
        this.jsm = jsm;
        this.settings = settings;
    }

    /** Completes once the group's stream exists; a failure is not cached, so the next call tries again. */
    CompletableFuture<Void> ensureStream(String group) {
        CompletableFuture<Void> f = streams.get(group);
        if (f != null) return f;
        CompletableFuture<Void> created = new CompletableFuture<>();
        f = streams.putIfAbsent(group, created);
        if (f != null) return f;
        Thread.ofVirtual().name("courier-nats-stream").start(() -> {
            try {
                createStream(group);
                created.complete(null);
            } catch (Exception e) {
                streams.remove(group, created);
                created.completeExceptionally(Errors.general(e, settings, "creating stream " + Naming.stream(group) + " of group " + group));
            }
        });
        return created;
    }

    /** Forgets that the group's stream exists (a publish was refused: it may have been deleted); the next send checks again. */
    void forget(String group) {
        streams.remove(group);
        consumers.keySet().removeIf(k -> k.startsWith(Naming.stream(group) + "/"));
    }

    private void createStream(String group) throws IOException, JetStreamApiException {
        String name = Naming.stream(group);
        try {
            jsm.getStreamInfo(name);
            return;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) throw e;
        }
        StreamConfiguration.Builder b = StreamConfiguration.builder().name(name).subjects(Naming.streamSubjects(group))
                .storageType(StorageType.File).retentionPolicy(RetentionPolicy.WorkQueue).replicas(settings.replicas)
                .duplicateWindow(settings.duplicateWindow).description("Courier group " + group);
        if (!settings.maxAge.isZero()) b.maxAge(settings.maxAge);
        try {
            jsm.addStream(b.build());
            log.info("stream created transport=nats stream={} subjects={} storage=file retention=workqueue replicas={}", name,
                    Naming.streamSubjects(group), settings.replicas);
        } catch (JetStreamApiException e) {
            try {
                jsm.getStreamInfo(name); // created meanwhile by another client: fine if it exists now
            } catch (JetStreamApiException notThere) {
                if (notThere.getApiErrorCode() != STREAM_NOT_FOUND) throw notThere;
                throw refused(e, name, group); // the creation's own answer, not the "not found" of the look-up
            }
        }
    }

    /** JetStream's answer to a stream creation it refused, with the fix when it is about the replicas. */
    private io.courier.CourierException refused(JetStreamApiException e, String name, String group) {
        String what = "creating stream " + name + " of group " + group + " with replicas=" + settings.replicas;
        String answer = settings.where() + " answered '" + e.getErrorDescription() + "' (JetStream error " + e.getApiErrorCode() + ")";
        if (e.getApiErrorCode() == REPLICAS_NOT_CLUSTERED) {
            return new io.courier.CourierException(what + " failed: " + answer + ": the server is not part of a JetStream cluster; "
                    + "replicas=" + settings.replicas + " needs a cluster of at least " + settings.replicas
                    + " servers (list them: nats://h1:4222,h2:4222,h3:4222), or use replicas=1 on a single server", e);
        }
        if ((e.getApiErrorCode() == INSUFFICIENT_RESOURCES || e.getApiErrorCode() == NO_SUITABLE_PEERS) && settings.replicas > 1) {
            // fewer servers up than replicas: a cluster too small, or nodes down (then a later attempt may succeed)
            return new io.courier.TransportUnavailableException(what + " failed: " + answer + ": the JetStream cluster has fewer than "
                    + settings.replicas + " servers up with room for it; start the missing nodes (a cluster of at least "
                    + settings.replicas + ") or lower replicas", e);
        }
        return Errors.general(e, settings, what);
    }

    /**
     * Ensures a durable pull consumer and returns its AckWait as the server has it.
     *
     * @param maxAckPending 1 for an ordering partition: one message of the partition out at a time (C9)
     */
    Duration ensureConsumer(String group, String durable, String filter, Duration ackWait, int maxAckPending)
            throws IOException, JetStreamApiException {
        String stream = Naming.stream(group);
        String cacheKey = stream + "/" + durable;
        Duration known = consumers.get(cacheKey);
        if (known != null) return known;
        ConsumerInfo info;
        try {
            info = jsm.getConsumerInfo(stream, durable);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != CONSUMER_NOT_FOUND) throw e;
            info = jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable(durable).filterSubject(filter)
                    .ackPolicy(AckPolicy.Explicit).ackWait(ackWait).maxDeliver(-1).maxAckPending(maxAckPending)
                    .deliverPolicy(DeliverPolicy.All).maxPullWaiting(4096).description("Courier " + group).build());
            log.info("consumer created transport=nats stream={} consumer={} filter={} ackWait={} maxAckPending={}", stream, durable, filter, ackWait, maxAckPending);
        }
        Duration serverAckWait = info.getConsumerConfiguration().getAckWait();
        if (serverAckWait == null || serverAckWait.isZero()) serverAckWait = Duration.ofSeconds(30);
        consumers.put(cacheKey, serverAckWait);
        return serverAckWait;
    }
}
