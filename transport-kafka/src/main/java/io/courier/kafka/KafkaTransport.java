package io.courier.kafka;

import io.courier.CourierException;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.Capabilities;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kafka://}: one idempotent {@code acks=all} producer shared by all sends and redeliveries, an admin client
 * that creates Courier's topics with explicit settings, and one {@link KafkaReceiver} per subscription. Sends are
 * asynchronous and batched by the producer ({@code linger.ms}, {@code batch.size}); a send's future completes when
 * every in-sync replica has the record (C1).
 */
final class KafkaTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(KafkaTransport.class);
    /** Records without a key sent to one partition before moving to the next. */
    private static final int STRIPE = 16;
    /** Destinations whose route is remembered at most. */
    private static final int MAX_ROUTES = 10_000;

    final KafkaSettings settings;
    final Topics topics;
    final ConnectionWatch watch;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final int replicationFactor;
    /** Brokers of the cluster when it was opened, for the error of a replication factor larger than that. */
    private final int brokers;
    private final Capabilities capabilities;
    private final Map<String, CompletableFuture<Integer>> partitionCounts = new ConcurrentHashMap<>();
    /** Per topic being created: completes once the last send queued behind the creation was handed to the producer. */
    private final Map<String, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
    private final Set<KafkaReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final AtomicLong roundRobin = new AtomicLong();
    private final Map<Destination, Route> routes = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private KafkaTransport(KafkaSettings settings, Admin admin, int replicationFactor, int brokers) {
        this.settings = settings;
        this.topics = new Topics(settings.topicPrefix);
        this.watch = new ConnectionWatch("bootstrap=" + settings.bootstrap);
        this.admin = admin;
        this.replicationFactor = replicationFactor;
        this.brokers = brokers;
        this.producer = new KafkaProducer<>(settings.producer());
        this.capabilities = new Capabilities(maxPayloadBytes(settings), true, false, Duration.ofSeconds(1), Map.of());
    }

    /** Largest message Courier accepts: the producer's max.request.size less what Courier adds on the wire. */
    static long maxPayloadBytes(KafkaSettings s) { return s.maxRequestSize - WireFormat.overheadBound(); }

    /**
     * Connects: checks within {@code connect-timeout} that the cluster answers (kafka-clients would otherwise retry
     * forever), and learns its size for the replication factor of created topics.
     */
    static KafkaTransport open(KafkaSettings s) {
        Admin admin;
        try {
            admin = Admin.create(s.admin());
        } catch (KafkaException e) {
            throw new io.courier.TransportUnavailableException("cannot reach Kafka at " + s.bootstrap + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage())
                    + "; check the host names in " + s.url.redacted(), e);
        }
        try {
            int nodes = admin.describeCluster().nodes().get(s.connectTimeout.toMillis(), TimeUnit.MILLISECONDS).size();
            int rf = s.replicationFactor > 0 ? s.replicationFactor : Math.max(1, Math.min(3, nodes));
            KafkaTransport t = new KafkaTransport(s, admin, rf, nodes);
            log.info("kafka transport open bootstrap={} brokers={} replicationFactor={} partitions={} maxPayloadBytes={}",
                    s.bootstrap, nodes, rf, s.partitions, t.capabilities.maxPayloadBytes());
            return t;
        } catch (java.util.concurrent.TimeoutException e) {
            admin.close(Duration.ZERO);
            throw new io.courier.TransportUnavailableException("Kafka at " + s.bootstrap + " did not answer within "
                    + s.connectTimeout.toMillis() + " ms (connect-timeout" + (s.sasl() ? "; with SASL, a listener without SASL also looks like this" : "")
                    + "): is the broker running and reachable?");
        } catch (InterruptedException e) {
            admin.close(Duration.ZERO);
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while connecting to Kafka at " + s.bootstrap);
        } catch (Exception e) {
            admin.close(Duration.ZERO);
            throw Errors.general(e, s, "connecting");
        }
    }

    @Override
    public Capabilities capabilities() { return capabilities; }

    @Override
    public java.util.Optional<io.courier.spi.Admin> admin() {
        return java.util.Optional.of(new KafkaAdmin(admin, settings, topics, partitionCounts::remove));
    }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new CourierException("kafka transport is closed: connect again to send"));
        if (batch.size() == 1) return sendOne(batch.get(0));
        List<CompletableFuture<Void>> all = new ArrayList<>(batch.size());
        for (Message m : batch) all.add(sendOne(m));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Void> sendOne(Message m) {
        Route route = route(m.destination());
        String topic = route.topic();
        CompletableFuture<Integer> count = ensureTopic(topic);
        if (count.isDone() && !count.isCompletedExceptionally() && !waiting.containsKey(topic)) {
            return produce(route, count.join(), m); // the common case: no lock
        }
        synchronized (waiting) {
            CompletableFuture<Void> tail = waiting.get(topic);
            if (count.isDone() && !count.isCompletedExceptionally() && (tail == null || tail.isDone())) {
                if (tail != null) waiting.remove(topic, tail);
                return produce(route, count.join(), m);
            }
            // The topic is being created: queue behind earlier sends to it, so send order is kept (C9).
            CompletableFuture<Void> result = new CompletableFuture<>();
            CompletableFuture<Void> handed = (tail == null ? count.thenApply(n -> (Void) null) : tail).handle((v, e) -> {
                if (count.isCompletedExceptionally()) {
                    count.whenComplete((n, err) -> result.completeExceptionally(Errors.unwrap(err)));
                } else {
                    produce(route, count.join(), m).whenComplete((ok, err) -> {
                        if (err == null) result.complete(null); else result.completeExceptionally(err);
                    });
                }
                return null;
            });
            waiting.put(topic, handed);
            return result;
        }
    }

    /** Where messages to one destination go: the topic, and the bytes of the {@code courier-destination} header. */
    private record Route(String topic, byte[] destination) {}

    /** The route of a destination, computed once: mapping and encoding it per message was a tenth of the send path. */
    private Route route(Destination d) {
        Route r = routes.get(d);
        if (r == null) {
            if (routes.size() >= MAX_ROUTES) routes.clear(); // a bound for senders to ever new members; recomputed on use
            r = new Route(topics.of(d).topic(), WireFormat.utf8(d.toString()));
            routes.put(d, r);
        }
        return r;
    }

    private CompletableFuture<Void> produce(Route route, int partitions, Message m) {
        // No ordering key: spread records over all partitions, STRIPE records at a time, so that every member of
        // the group gets work even from a small burst (C3) while batches stay large.
        Integer partition = m.orderingKey() == null ? (int) ((roundRobin.getAndIncrement() / STRIPE) % partitions) : null;
        return publish(WireFormat.toRecord(route.topic(), partition, m, route.destination()), m.id(), () -> io.courier.Courier.sizeOf(m));
    }

    /**
     * Sends one record; the future completes when it is durably accepted, or with a typed error. {@code size} (for
     * the error that names it) is computed only when the send fails.
     */
    CompletableFuture<Void> publish(ProducerRecord<byte[], byte[]> record, String messageId, java.util.function.LongSupplier size) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        try {
            producer.send(record, (RecordMetadata md, Exception e) -> {
                if (e == null) {
                    watch.success();
                    f.complete(null);
                } else {
                    CourierException failure = Errors.send(e, settings, messageId, record.topic(), size.getAsLong(), capabilities.maxPayloadBytes());
                    if (failure instanceof io.courier.TransportUnavailableException) watch.failure(e);
                    f.completeExceptionally(failure);
                }
            });
        } catch (IllegalStateException e) {
            f.completeExceptionally(new CourierException("kafka transport is closed: connect again to send", e));
        } catch (RuntimeException e) {
            watch.failure(e);
            f.completeExceptionally(Errors.send(e, settings, messageId, record.topic(), size.getAsLong(), capabilities.maxPayloadBytes()));
        }
        return f;
    }

    /**
     * Creates the topic on first use with Courier's settings (partitions, replication, retention, max message size,
     * min ISR), or finds the existing one; completes with its partition count. Cached; a failure is retried next time.
     */
    CompletableFuture<Integer> ensureTopic(String topic) {
        CompletableFuture<Integer> f = partitionCounts.get(topic);
        if (f != null) return f;
        CompletableFuture<Integer> created = new CompletableFuture<>();
        f = partitionCounts.putIfAbsent(topic, created);
        if (f != null) return f;
        createOrDescribe(topic).whenComplete((n, e) -> {
            if (e != null) {
                partitionCounts.remove(topic, created);
                created.completeExceptionally(e);
            } else {
                created.complete(n);
            }
        });
        return created;
    }

    private CompletableFuture<Integer> createOrDescribe(String topic) {
        CompletableFuture<Integer> out = new CompletableFuture<>();
        NewTopic nt = new NewTopic(topic, settings.partitions, (short) replicationFactor).configs(Map.of(
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(settings.retention.toMillis()),
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(settings.maxRequestSize),
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(Math.max(1, Math.min(2, replicationFactor - 1)))));
        admin.createTopics(List.of(nt)).all().whenComplete((v, e) -> {
            Throwable t = e == null ? null : Errors.unwrap(e);
            if (t == null) {
                log.info("created topic transport=kafka topic={} partitions={} replicationFactor={} retentionMs={}",
                        topic, settings.partitions, replicationFactor, settings.retention.toMillis());
                awaitLeaders(topic, settings.partitions, System.currentTimeMillis() + settings.connectTimeout.toMillis(), out);
            } else if (t instanceof TopicExistsException) {
                admin.describeTopics(List.of(topic)).allTopicNames().whenComplete((d, e2) -> {
                    if (e2 == null) out.complete(d.get(topic).partitions().size());
                    else out.completeExceptionally(Errors.general(e2, settings, "describing topic " + topic));
                });
            } else if (t instanceof InvalidReplicationFactorException) {
                out.completeExceptionally(Errors.replication(t, settings, replicationFactor, brokers, topic));
            } else {
                watch.failure(t);
                out.completeExceptionally(Errors.general(t, settings, "creating topic " + topic));
            }
        });
        return out;
    }

    /**
     * Completes {@code out} once every partition of a new topic answers on its leader (ListOffsets is served by the
     * leader only). Producing to a partition whose leader is not ready yet makes the idempotent producer's first
     * batches fail with NOT_LEADER_OR_FOLLOWER and the next ones with OUT_OF_ORDER_SEQUENCE_NUMBER until they
     * expire; waiting here avoids that.
     */
    private void awaitLeaders(String topic, int partitions, long deadline, CompletableFuture<Integer> out) {
        Map<TopicPartition, OffsetSpec> all = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) all.put(new TopicPartition(topic, p), OffsetSpec.latest());
        admin.listOffsets(all).all().whenComplete((r, e) -> {
            if (e == null || System.currentTimeMillis() > deadline) {
                if (e != null) log.warn("topic {} not ready on its leaders after {}: {}", topic, settings.connectTimeout, e.toString());
                out.complete(partitions);
            } else {
                CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS).execute(() -> awaitLeaders(topic, partitions, deadline, out));
            }
        });
    }

    /** Waits for the topics to exist, within {@code connect-timeout}. */
    void ensureTopics(Collection<String> names) {
        List<CompletableFuture<Integer>> fs = names.stream().map(this::ensureTopic).toList();
        try {
            CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(settings.connectTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while creating topics " + names);
        } catch (Exception e) {
            throw Errors.general(e, settings, "creating topics " + names);
        }
    }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        if (closed.get()) throw new CourierException("kafka transport is closed: connect again to receive");
        KafkaReceiver r = new KafkaReceiver(this, spec, receivers::remove);
        receivers.add(r);
        return r;
    }

    /**
     * Whether every open receiver's consumers hold a connection to the cluster (the client's {@code connection-count}
     * metric; a consumer hides an outage behind empty polls); unknown while no receiver is open (the producer's idle
     * connections close by design).
     */
    @Override
    public java.util.Optional<Boolean> reachable() {
        if (closed.get()) return java.util.Optional.of(false);
        if (receivers.isEmpty()) return java.util.Optional.empty();
        for (KafkaReceiver r : receivers) if (!r.connected()) return java.util.Optional.of(false);
        return java.util.Optional.of(true);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (KafkaReceiver r : List.copyOf(receivers)) r.close();
        producer.close(Duration.ofSeconds(30));
        admin.close(Duration.ofSeconds(5));
        log.info("kafka transport closed bootstrap={}", settings.bootstrap);
    }
}
