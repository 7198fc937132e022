package io.courier.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Declares Courier's queues and exchanges idempotently, once per connection (then cached), on one long-lived channel
 * of that connection (so that amqp-client's topology recovery can re-declare them on it); a refused declaration (a
 * queue of the same name with other arguments) closes that channel, and the next declaration opens another.
 * Every queue is a durable quorum queue: it survives broker restarts, counts deliveries in
 * {@code x-delivery-count} (the attempt counter, C15) and dead-letters at least once out of delay buckets.
 */
final class Topology {
    /** A delay bucket left unused this long past its TTL is deleted by the broker ({@code x-expires}). */
    private static final long DELAY_QUEUE_IDLE_MS = TimeUnit.MINUTES.toMillis(10);
    /** Delay buckets are re-declared after this long, which resets their expiry timer. */
    private static final long DELAY_REDECLARE_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Connection connection;
    private final RabbitSettings settings;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Topology.class);
    /** A registry write that failed is not tried again for this long (its queue's node is down, probably). */
    private static final long RECORD_RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Map<String, Long> declared = new ConcurrentHashMap<>();
    /** Registry queue → when writing to it last failed (cleared by a success). */
    private final Map<String, Long> recordFailedAt = new ConcurrentHashMap<>();
    private Channel channel;

    Topology(Connection connection, RabbitSettings settings) {
        this.connection = connection;
        this.settings = settings;
    }

    /** The group's queue, its member's queue (when {@code member} is set) and its ordering sub-queues. */
    void declareGroup(String group, String member) throws IOException {
        Names n = settings.names;
        registerGroup(group);
        declareQueue(n.group(group), false);
        if (member != null) {
            declareMember(group, member);
            declareSticky(group, member);
        }
        for (int i = 0; i < settings.orderingQueues; i++) declareQueue(n.ordered(group, i), true);
    }

    /** The queue {@code name} as a durable quorum queue; with a single active consumer for ordering queues. */
    void declareQueue(String name, boolean singleActiveConsumer) throws IOException {
        if (declared.containsKey(name)) return;
        Map<String, Object> args = new HashMap<>();
        args.put("x-queue-type", "quorum");
        if (singleActiveConsumer) args.put("x-single-active-consumer", true);
        withChannel(name, ch -> ch.queueDeclare(name, true, false, false, args));
        declared.put(name, System.nanoTime());
    }

    /** The member's own queue ({@code uni@group/member}), recorded in the group's member registry. */
    void declareMember(String group, String member) throws IOException {
        declareQueue(settings.names.member(group, member), false);
        register(group, member);
    }

    /**
     * Records {@code member} in the group's member registry ({@link Names#members}), once per connection (see
     * {@link #record}); it only hides a member queue from the operator tooling when lost.
     */
    private void register(String group, String member) { record(settings.names.members(group), member); }

    /**
     * Records {@code group} in the vhost's group registry ({@link Names#groups}), once per connection (see
     * {@link #record}): duplicates across connections are folded by the reader and dropped by a delete of the group;
     * a lost registration only hides the group from {@code groups list} until a connection uses it again.
     */
    void registerGroup(String group) { record(settings.names.groups(), group); }

    /**
     * Records {@code name} in {@code registry}, once per connection: a durable classic queue (cheaper than a quorum
     * queue; it only holds names) with one persistent message whose body is the name, published without confirm (the
     * next connection that declares it records it again). Best effort: a failure is logged once and retried after 30 s,
     * never thrown.
     */
    private void record(String registry, String name) {
        String key = registry + "/" + name;
        if (declared.containsKey(key)) return;
        Long failed = recordFailedAt.get(registry);
        if (failed != null && System.nanoTime() - failed < RECORD_RETRY_NANOS) return;
        try {
            withChannel(registry, ch -> {
                ch.queueDeclare(registry, true, false, false, Map.of("x-queue-type", "classic"));
                ch.basicPublish("", registry, MessageProperties.PERSISTENT_BASIC, name.getBytes(StandardCharsets.UTF_8));
            });
        } catch (IOException | RuntimeException e) {
            // best effort: a classic registry queue lives on one node of a cluster, and a send or a receiver must not
            // fail because that node is down (a lost entry only hides the name from the operator listing)
            if (recordFailedAt.put(registry, System.nanoTime()) == null) {
                log.warn("transport=rabbitmq could not record '{}' in the registry queue '{}' ({}); sends and receives go on, "
                        + "the operator listing may miss it until a later use records it (retried after 30 s)", name, registry, e.getMessage());
            }
            return;
        }
        recordFailedAt.remove(registry);
        declared.put(key, System.nanoTime());
    }

    /**
     * The member's sticky queue: a quorum queue whose messages, unless its member takes them within the sticky
     * fallback time, are dead-lettered (at least once) into the group's queue, which is declared too.
     */
    void declareSticky(String group, String member) throws IOException {
        String name = settings.names.sticky(group, member);
        if (declared.containsKey(name)) return;
        declareQueue(settings.names.group(group), false);
        Map<String, Object> args = new HashMap<>();
        args.put("x-queue-type", "quorum");
        args.put("x-message-ttl", settings.stickyFallback.toMillis());
        args.put("x-dead-letter-exchange", "");
        args.put("x-dead-letter-routing-key", settings.names.group(group));
        args.put("x-dead-letter-strategy", "at-least-once");
        args.put("x-overflow", "reject-publish");
        withChannel(name, ch -> ch.queueDeclare(name, true, false, false, args));
        declared.put(name, System.nanoTime());
        register(group, member);
    }

    /**
     * The delay bucket of {@code bucketMs}: a fanout exchange and a quorum queue of the same name whose messages
     * expire after {@code bucketMs} and are dead-lettered (at least once) to the default exchange with their
     * original routing key, i.e. into the queue they were meant for. Returns the exchange name.
     */
    String declareDelay(long bucketMs) throws IOException {
        String name = settings.names.delay(bucketMs);
        Long at = declared.get(name);
        if (at != null && System.nanoTime() - at < DELAY_REDECLARE_NANOS) return name;
        Map<String, Object> args = new HashMap<>();
        args.put("x-queue-type", "quorum");
        args.put("x-message-ttl", bucketMs);
        args.put("x-dead-letter-exchange", "");
        args.put("x-dead-letter-strategy", "at-least-once");
        args.put("x-overflow", "reject-publish");
        args.put("x-expires", bucketMs + DELAY_QUEUE_IDLE_MS);
        withChannel(name, ch -> {
            ch.exchangeDeclare(name, BuiltinExchangeType.FANOUT, true);
            ch.queueDeclare(name, true, false, false, args);
            ch.queueBind(name, name, "");
        });
        declared.put(name, System.nanoTime());
        return name;
    }

    /**
     * Forgets a declaration (the queue was found missing, e.g. its group was deleted): the next use declares it again,
     * a member or sticky queue records its member in the registry again, and a group's queue its group.
     */
    void forget(String name) {
        declared.remove(name);
        String rest = name.startsWith(settings.names.prefix) ? name.substring(settings.names.prefix.length()) : "";
        int slash = rest.indexOf('/');
        if (slash < 0 && rest.indexOf('~') < 0 && !rest.isEmpty()) declared.remove(settings.names.groups() + "/" + rest); // the group's queue
        if (slash > 0) {
            String member = rest.substring(slash + 1).replace("~sticky", "");
            declared.remove(settings.names.members(rest.substring(0, slash)) + "/" + member);
        }
    }

    private interface ChannelWork { void run(Channel ch) throws IOException; }

    private synchronized void withChannel(String name, ChannelWork work) throws IOException {
        if (channel == null || !channel.isOpen()) {
            if (channel != null) {
                Channel old = channel;
                Thread.ofVirtual().start(() -> { try { old.abort(); } catch (Exception ignored) { /* gone */ } });
            }
            channel = connection.createChannel();
            if (channel == null) throw new IOException("no channel available (channel_max reached)");
        }
        try {
            work.run(channel);
        } catch (IOException e) {
            throw Errors.declaration(e, settings, name);
        }
    }

    /** Closes the declaration channel. */
    synchronized void close() {
        if (channel != null) {
            try { channel.abort(); } catch (Exception ignored) { /* gone */ }
        }
    }
}
