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
            log.info("stream created transport=nats stream={} subjects={} storage=file retention=workqueue", name, Naming.streamSubjects(group));
        } catch (JetStreamApiException e) {
            jsm.getStreamInfo(name); // created meanwhile by another client: fine if it exists now
        }
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
