package io.courier.sqs;

import static io.courier.spi.GroupStats.known;
import static io.courier.spi.GroupStats.unknown;

import io.courier.spi.Admin;
import io.courier.spi.GroupListing;
import io.courier.spi.GroupStats;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * {@link Admin} of {@code sqs://}: a group's queues are found with {@code ListQueues} by name prefix and kept when
 * {@link QueueNames#ofGroup} says they are the group's (its queue, its FIFO queue, its members' queues); the prefix is
 * cut to what a name shortened with a hash keeps ({@link QueueNames#listPrefix}), so a long group's queues are found.
 *
 * <p>Counts, from {@code GetQueueAttributes} summed over those queues, at SQS's own precision (approximate on Amazon
 * SQS, where they may lag by a minute; exact on ElasticMQ): backlog = {@code ApproximateNumberOfMessages}, in flight =
 * {@code …NotVisible} (received and not deleted, and nacks waiting for their visibility delay), delayed =
 * {@code …Delayed} ({@code DelaySeconds}); dead letters = all three over the dead-letter group's queues. SQS does not
 * know its consumers: unknown. Delete removes each queue with {@code DeleteQueue} (Amazon SQS takes up to 60 s to
 * forget a deleted queue's name).
 */
final class SqsAdmin implements Admin {
    private static final Logger log = LoggerFactory.getLogger(SqsAdmin.class);
    private static final List<QueueAttributeName> COUNTS = List.of(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED);

    private final SqsTransport transport;

    SqsAdmin(SqsTransport transport) { this.transport = transport; }

    @Override
    public GroupStats stats(String group, String deadLetterGroup) {
        try {
            long[] g = counts(group);
            long[] dead = counts(deadLetterGroup);
            return new GroupStats(group, known(g[0]), known(g[1]), known(g[2]), known(dead[0] + dead[1] + dead[2]), unknown());
        } catch (RuntimeException e) {
            throw Errors.of(e, transport.settings(), "reading the counts of group " + group);
        }
    }

    /** Visible, not visible and delayed messages over the group's queues. */
    private long[] counts(String group) {
        long[] sum = new long[COUNTS.size()];
        for (String url : queueUrls(group)) {
            Map<QueueAttributeName, String> a;
            try {
                a = transport.sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(COUNTS)).attributes();
            } catch (QueueDoesNotExistException deletedMeanwhile) {
                continue;
            }
            for (int i = 0; i < sum.length; i++) sum[i] += Long.parseLong(a.getOrDefault(COUNTS.get(i), "0"));
        }
        return sum;
    }

    /**
     * {@code ListQueues} by the escaped prefix; each queue read back into its group ({@link QueueNames#groupOf}), so
     * a group's FIFO queue and its members' queues count as the group. A queue shortened with a hash (a name over
     * SQS's 80 characters) cannot be read back: it is listed in {@link GroupListing#opaque()}.
     */
    @Override
    public GroupListing groups(String prefix) {
        try {
            java.util.Set<String> groups = new java.util.TreeSet<>();
            java.util.Set<String> opaque = new java.util.TreeSet<>();
            transport.sqs.listQueuesPaginator(b -> b.queueNamePrefix(transport.names.listPrefix(prefix)).maxResults(1000)).queueUrls()
                    .forEach(url -> {
                        String name = nameOf(url);
                        String g = transport.names.groupOf(name);
                        if (g != null && g.startsWith(prefix)) groups.add(g);
                        else if (g == null && transport.names.isShortened(name)) opaque.add(name);
                    });
            return new GroupListing(List.copyOf(groups), List.copyOf(opaque));
        } catch (RuntimeException e) {
            throw Errors.of(e, transport.settings(), "listing the groups");
        }
    }

    @Override
    public boolean deleteGroup(String group) {
        try {
            return Admin.removeWithDeadLetters(group, this::deleteQueues);
        } catch (RuntimeException e) {
            throw Errors.of(e, transport.settings(), "deleting group " + group);
        }
    }

    private boolean deleteQueues(String group) {
        int deleted = 0;
        for (String url : queueUrls(group)) {
            try {
                transport.sqs.deleteQueue(b -> b.queueUrl(url));
                deleted++;
            } catch (QueueDoesNotExistException deletedMeanwhile) {
                // gone already
            }
            transport.forgetQueue(nameOf(url));
        }
        if (deleted > 0) log.info("group deleted transport=sqs group={} queues={}", group, deleted);
        return deleted > 0;
    }

    /** The URLs of the group's queues. */
    private List<String> queueUrls(String group) {
        String prefix = transport.names.listPrefix(group); // a long group's shortened names keep only its start
        return transport.sqs.listQueuesPaginator(b -> b.queueNamePrefix(prefix).maxResults(1000)).queueUrls().stream()
                .filter(url -> transport.names.ofGroup(group, nameOf(url))).toList();
    }

    private static String nameOf(String queueUrl) { return queueUrl.substring(queueUrl.lastIndexOf('/') + 1); }
}
