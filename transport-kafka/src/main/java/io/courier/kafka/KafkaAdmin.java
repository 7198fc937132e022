package io.courier.kafka;

import static io.courier.spi.GroupStats.known;
import static io.courier.spi.GroupStats.unknown;

import io.courier.CourierException;
import io.courier.spi.GroupStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link io.courier.spi.Admin} of {@code kafka://}. A group's resources are the topics and consumer groups named
 * {@code courier.<g>} and {@code courier.<g>.…} (its retry topic and its members' topics: an escaped group name holds
 * no {@code .}, see {@link Topics}, so no other group's names start that way).
 *
 * <p>Counts: backlog = the consumer lag summed over every partition of the group's topics (end offset less the
 * committed offset of the topic's consumer group, or less the earliest offset where nothing is committed). The lag
 * also holds records handed out and not yet committed and records waiting for their not-before or redelivery time,
 * which Kafka cannot tell apart, so in flight and delayed are unknown. Dead letters = the same lag over the
 * dead-letter group; consumers = members of the group's consumer group. Delete removes the topics and the consumer
 * groups (a consumer group with live members is refused by Kafka: stop its consumers first) and waits until the
 * topics are gone from the cluster's metadata.
 */
final class KafkaAdmin implements io.courier.spi.Admin {
    private static final Logger log = LoggerFactory.getLogger(KafkaAdmin.class);

    private final Admin admin;
    private final KafkaSettings settings;
    private final Topics topics;
    private final Consumer<String> forgetTopic;

    /** @param forgetTopic told of every deleted topic, so that the transport creates it again on its next send */
    KafkaAdmin(Admin admin, KafkaSettings settings, Topics topics, Consumer<String> forgetTopic) {
        this.admin = admin;
        this.settings = settings;
        this.topics = topics;
        this.forgetTopic = forgetTopic;
    }

    @Override
    public GroupStats stats(String group, String deadLetterGroup) {
        return call("reading the counts of group " + group, () ->
                new GroupStats(group, known(lag(group)), unknown(), unknown(), known(lag(deadLetterGroup)), known(members(group))));
    }

    /**
     * The topics and consumer groups with Courier's prefix, each read back into its group ({@link Topics#ownerOf}):
     * a group's retry topic, its members' topics and its consumer groups count as the group. A name that
     * {@link Topics#bounded} shortened with a hash before the group's name ended cannot be read back: it is listed
     * in {@link io.courier.spi.GroupListing#opaque()} (a group whose escaped name is over 240 characters: many {@code .}
     * or {@code _}, each escaped to three; its retry topic is hashed separately, so it shows as a second opaque name).
     */
    @Override
    public io.courier.spi.GroupListing groups(String prefix) {
        return call("listing the groups", () -> {
            Set<String> names = new TreeSet<>(admin.listTopics().names().get(timeout(), TimeUnit.MILLISECONDS));
            for (GroupListing g : admin.listGroups().all().get(timeout(), TimeUnit.MILLISECONDS)) names.add(g.groupId());
            Set<String> groups = new TreeSet<>();
            Set<String> opaque = new TreeSet<>();
            for (String name : names) {
                Topics.Owner owner = topics.ownerOf(name);
                if (owner instanceof Topics.Owner.Group g && g.group().startsWith(prefix)) groups.add(g.group());
                else if (owner instanceof Topics.Owner.Hashed h) opaque.add(h.name());
            }
            return new io.courier.spi.GroupListing(List.copyOf(groups), List.copyOf(opaque));
        });
    }

    @Override
    public boolean deleteGroup(String group) {
        return call("deleting group " + group, () -> io.courier.spi.Admin.removeWithDeadLetters(group, this::delete));
    }

    /** Runs {@code work}, its failures mapped onto Courier's typed errors. */
    private <T> T call(String what, Callable<T> work) {
        try {
            return work.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while " + what, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupNotEmptyException) {
                throw new CourierException(what + " failed: Kafka refused to delete a consumer group that still has live consumers;"
                        + " stop them, then delete the group again", e.getCause());
            }
            throw Errors.general(e, settings, what);
        } catch (Exception e) {
            throw Errors.general(e, settings, what);
        }
    }

    private boolean delete(String group) throws Exception {
        Set<String> topicNames = topicsOf(group);
        Set<String> groupIds = consumerGroupsOf(group);
        if (!groupIds.isEmpty()) admin.deleteConsumerGroups(groupIds).all().get(timeout(), TimeUnit.MILLISECONDS);
        if (!topicNames.isEmpty()) {
            admin.deleteTopics(topicNames).all().get(timeout(), TimeUnit.MILLISECONDS);
            topicNames.forEach(forgetTopic);
            awaitGone(group);
        }
        boolean deleted = !topicNames.isEmpty() || !groupIds.isEmpty();
        if (deleted) log.info("group deleted transport=kafka group={} topics={} consumerGroups={}", group, topicNames.size(), groupIds.size());
        return deleted;
    }

    /** Deleted topics leave the metadata asynchronously: wait (up to connect-timeout) so that a second delete finds nothing. */
    private void awaitGone(String group) throws Exception {
        long deadline = System.nanoTime() + settings.connectTimeout.toNanos();
        while (!topicsOf(group).isEmpty() && System.nanoTime() < deadline) Thread.sleep(100);
    }

    /** The lag over every partition of the group's topics, each against the committed offsets of its consumer group. */
    private long lag(String group) throws Exception {
        Set<String> names = topicsOf(group);
        if (names.isEmpty()) return 0;
        Map<String, List<TopicPartition>> byConsumerGroup = new HashMap<>();
        for (TopicDescription d : admin.describeTopics(names).allTopicNames().get(timeout(), TimeUnit.MILLISECONDS).values()) {
            Topics.Queue q = topics.group(group);
            String consumerGroup = d.name().equals(q.retryTopic()) ? q.consumerGroup() : d.name();
            d.partitions().forEach(p -> byConsumerGroup.computeIfAbsent(consumerGroup, k -> new ArrayList<>()).add(new TopicPartition(d.name(), p.partition())));
        }
        List<TopicPartition> all = byConsumerGroup.values().stream().flatMap(List::stream).toList();
        Map<TopicPartition, ListOffsetsResultInfo> end = offsets(all, OffsetSpec.latest());
        Map<TopicPartition, ListOffsetsResultInfo> start = offsets(all, OffsetSpec.earliest());
        long lag = 0;
        for (Map.Entry<String, List<TopicPartition>> e : byConsumerGroup.entrySet()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(e.getKey())
                    .partitionsToOffsetAndMetadata().get(timeout(), TimeUnit.MILLISECONDS);
            for (TopicPartition tp : e.getValue()) {
                OffsetAndMetadata c = committed.get(tp);
                long from = Math.max(start.get(tp).offset(), c == null ? 0 : c.offset());
                lag += Math.max(0, end.get(tp).offset() - from);
            }
        }
        return lag;
    }

    private Map<TopicPartition, ListOffsetsResultInfo> offsets(List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        return admin.listOffsets(request).all().get(timeout(), TimeUnit.MILLISECONDS);
    }

    private int members(String group) throws Exception {
        String id = topics.group(group).consumerGroup();
        try {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(id)).all().get(timeout(), TimeUnit.MILLISECONDS).get(id);
            return d == null ? 0 : d.members().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) return 0;
            throw e;
        }
    }

    private Set<String> topicsOf(String group) throws Exception {
        Set<String> found = new TreeSet<>();
        for (String t : admin.listTopics().names().get(timeout(), TimeUnit.MILLISECONDS)) if (ofGroup(group, t)) found.add(t);
        return found;
    }

    private Set<String> consumerGroupsOf(String group) throws Exception {
        Set<String> found = new TreeSet<>();
        for (GroupListing g : admin.listGroups().all().get(timeout(), TimeUnit.MILLISECONDS)) if (ofGroup(group, g.groupId())) found.add(g.groupId());
        return found;
    }

    /**
     * Whether {@code name} is the group's topic, retry topic (named apart when shortened with a hash) or consumer
     * group, or starts with the topic and a {@code .} (members).
     */
    private boolean ofGroup(String group, String name) {
        Topics.Queue q = topics.group(group);
        return name.equals(q.topic()) || name.equals(q.retryTopic()) || name.startsWith(q.topic() + ".");
    }

    private long timeout() { return settings.connectTimeout.toMillis(); }
}
