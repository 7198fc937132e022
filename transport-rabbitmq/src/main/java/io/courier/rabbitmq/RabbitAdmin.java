package io.courier.rabbitmq;

import static io.courier.spi.GroupStats.known;
import static io.courier.spi.GroupStats.unknown;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.courier.spi.Admin;
import io.courier.spi.GroupStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Admin} of {@code amqp://}, in AMQP 0-9-1 terms only (no management plugin needed). A group's queues are
 * found by name ({@link Names}): the group's queue, its ordering sub-queues, and the member and sticky queues of the
 * members recorded in the group's member registry. Each is probed with a passive {@code queue.declare} on a
 * throwaway channel (a missing queue answers 404, which closes that channel).
 *
 * <p>Counts: backlog = ready messages ({@code message-count}) of the group's, its sub-queues' and its members'
 * queues; dead letters = the same over the dead-letter group; consumers = consumers of the group's queue (every
 * receiver of the group consumes it). In flight (unacked) is not reported by AMQP, and delayed messages wait in delay
 * buckets shared by every group: both unknown. Delete removes the queues found and the member registry. Messages of
 * the group still in a shared delay bucket cannot be picked out of it: when they come due, at-least-once
 * dead-lettering finds no queue and keeps them in the bucket (seen on RabbitMQ 3.10), until the bucket expires
 * 10 minutes after its last use.
 *
 * <p>Listing: AMQP 0-9-1 cannot enumerate queues (only the management plugin's HTTP API or {@code rabbitmqctl} can),
 * so every connection records each group it uses, once, in the vhost's group registry ({@link Names#groups}); the
 * listing reads the registry the same way as the member registry (fetched unacknowledged, given back) and keeps the
 * groups that still have their queue, an ordering sub-queue or a member registry. A group that was only used by a
 * Courier older than the registry is not listed until a connection uses it again ({@code stats} and
 * {@code groups delete} by name still find it); a delete drops the group's registrations and folds duplicates.
 */
final class RabbitAdmin implements Admin {
    private static final Logger log = LoggerFactory.getLogger(RabbitAdmin.class);
    private static final int NOT_FOUND = 404;

    private final Connection connection;
    private final RabbitSettings settings;
    private final Consumer<String> forget;

    /** @param forget told of every deleted queue, so that this transport declares it again on its next use */
    RabbitAdmin(Connection connection, RabbitSettings settings, Consumer<String> forget) {
        this.connection = connection;
        this.settings = settings;
        this.forget = forget;
    }

    private record Counts(long messages, long consumers) {}

    @Override
    public GroupStats stats(String group, String deadLetterGroup) {
        try {
            Counts main = probe(settings.names.group(group));
            return new GroupStats(group, known(backlog(group)), unknown(), unknown(), known(backlog(deadLetterGroup)),
                    known(main == null ? 0 : main.consumers()));
        } catch (IOException | RuntimeException e) {
            throw Errors.general(e, settings, "reading the counts of group " + group);
        }
    }

    private long backlog(String group) throws IOException {
        long n = 0;
        for (String q : messageQueues(group)) {
            Counts c = probe(q);
            if (c != null) n += c.messages();
        }
        return n;
    }

    @Override
    public io.courier.spi.GroupListing groups(String prefix) {
        try {
            Set<String> groups = new TreeSet<>();
            for (String g : registered(null)) {
                if (g.startsWith(prefix) && exists(g)) groups.add(g);
            }
            return io.courier.spi.GroupListing.of(groups);
        } catch (IOException | RuntimeException e) {
            throw Errors.general(e, settings, "listing the groups");
        }
    }

    /** Whether {@code group} has its queue, its first ordering sub-queue or a member registry (uni@ only). */
    private boolean exists(String group) throws IOException {
        Names n = settings.names;
        return probe(n.group(group)) != null || probe(n.members(group)) != null || probe(n.ordered(group, 0)) != null;
    }

    /**
     * The groups recorded in the vhost's group registry. Every message is fetched unacknowledged; the registrations
     * that {@code drop} accepts, and the second and later copies of every name, are acked (removed) when
     * {@code drop} is set; the rest is given back when the channel closes.
     */
    private Set<String> registered(java.util.function.Predicate<String> drop) throws IOException {
        String registry = settings.names.groups();
        Set<String> groups = new TreeSet<>();
        Set<String> dropped = new TreeSet<>();
        Channel ch = connection.createChannel();
        try {
            ch.queueDeclarePassive(registry);
            for (GetResponse r = ch.basicGet(registry, false); r != null; r = ch.basicGet(registry, false)) {
                String g = new String(r.getBody(), StandardCharsets.UTF_8);
                boolean first = groups.add(g);
                if (drop == null) continue;
                if (!first || dropped.contains(g) || (drop.test(g) && dropped.add(g))) ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
            }
            groups.removeAll(dropped);
        } catch (IOException e) {
            if (!notFound(e)) throw e;
        } finally {
            abort(ch);
        }
        return groups;
    }

    /**
     * Housekeeping for test suites that delete queues without {@link #deleteGroup}: removes the registrations of the
     * groups that {@code which} accepts and that have no queue left, and folds duplicates; returns how many groups
     * stay registered.
     */
    int dropStaleRegistrations(java.util.function.Predicate<String> which) {
        try {
            return registered(g -> {
                try {
                    return which.test(g) && !exists(g);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).size();
        } catch (IOException | RuntimeException e) {
            throw Errors.general(e, settings, "cleaning the group registry");
        }
    }

    @Override
    public boolean deleteGroup(String group) {
        try {
            return Admin.removeWithDeadLetters(group, this::deleteQueues);
        } catch (IOException | RuntimeException e) {
            throw Errors.general(e, settings, "deleting group " + group);
        }
    }

    /** Deletes the queues of {@code group} that exist, the member registry last (a failure before it leaves it to find them again). */
    private boolean deleteQueues(String group) throws IOException {
        List<String> queues = new ArrayList<>(messageQueues(group));
        queues.add(settings.names.members(group));
        int deleted = 0;
        for (String q : queues) {
            if (probe(q) == null) continue;
            try (Channel ch = connection.createChannel()) {
                ch.queueDelete(q);
                deleted++;
                forget.accept(q);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IOException("closing the channel after deleting " + q + " timed out", e);
            }
        }
        registered(group::equals); // its registrations last: a failure before leaves it listed, to be deleted again
        forget.accept(settings.names.group(group)); // this transport registers it again on its next use
        if (deleted > 0) log.info("group deleted transport=rabbitmq group={} queues={}", group, deleted);
        return deleted > 0;
    }

    /** Every queue that may hold messages of {@code group}: its own, its ordering sub-queues, its members' and their sticky queues. */
    private List<String> messageQueues(String group) throws IOException {
        Names n = settings.names;
        List<String> queues = new ArrayList<>();
        queues.add(n.group(group));
        // sub-queues of this client's ordering-queues, and of a client declared with more, as long as they exist
        for (int i = 0; i < settings.orderingQueues || probe(n.ordered(group, i)) != null; i++) queues.add(n.ordered(group, i));
        for (String member : members(group)) {
            queues.add(n.member(group, member));
            queues.add(n.sticky(group, member));
        }
        return queues;
    }

    /**
     * The members recorded in the group's registry: every message is fetched unacknowledged and given back when the
     * channel closes, so the registry is unchanged.
     */
    private Set<String> members(String group) throws IOException {
        String registry = settings.names.members(group);
        Set<String> members = new TreeSet<>();
        Channel ch = connection.createChannel();
        try {
            ch.queueDeclarePassive(registry);
            for (GetResponse r = ch.basicGet(registry, false); r != null; r = ch.basicGet(registry, false)) {
                members.add(new String(r.getBody(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            if (!notFound(e)) throw e;
        } finally {
            abort(ch);
        }
        return members;
    }

    /** The counts of {@code queue}, or null when it does not exist. */
    private Counts probe(String queue) throws IOException {
        Channel ch = connection.createChannel();
        try {
            AMQP.Queue.DeclareOk ok = ch.queueDeclarePassive(queue);
            return new Counts(ok.getMessageCount(), ok.getConsumerCount());
        } catch (IOException e) {
            if (notFound(e)) return null;
            throw e;
        } finally {
            abort(ch);
        }
    }

    private static boolean notFound(IOException e) {
        String reason = Errors.closeReason(e);
        return reason != null && reason.startsWith(NOT_FOUND + " ");
    }

    private static void abort(Channel ch) {
        try {
            if (ch.isOpen()) ch.abort();
        } catch (IOException | RuntimeException ignored) {
            // closed by the broker already (404)
        }
    }
}
