package io.courier.nats;

import static io.courier.spi.GroupStats.known;
import static io.courier.spi.GroupStats.unknown;

import io.courier.spi.Admin;
import io.courier.spi.GroupListing;
import io.courier.spi.GroupStats;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.Subject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Admin} of {@code nats://}: a group is its stream {@code COURIER_<g>} ({@link Naming}) and the stream's
 * durable consumers. With work-queue retention a message stays in the stream until it is acked, so the stream's
 * per-subject counts are exact: delayed = messages on {@code courier.<g>.delay}; in flight = the
 * {@code num_ack_pending} of the other consumers (delivered, not acked, including naks waiting for their redelivery);
 * backlog = the messages on the other subjects less those in flight; dead letters = every message of the
 * dead-letter group's stream. Pull consumers have no registered clients, so consumers is unknown. Delete removes both
 * streams, which removes their consumers with them.
 */
final class NatsAdmin implements Admin {
    private static final Logger log = LoggerFactory.getLogger(NatsAdmin.class);
    private static final int STREAM_NOT_FOUND = 10059;

    private final JetStreamManagement jsm;
    private final Streams streams;
    private final NatsSettings settings;

    NatsAdmin(JetStreamManagement jsm, Streams streams, NatsSettings settings) {
        this.jsm = jsm;
        this.streams = streams;
        this.settings = settings;
    }

    @Override
    public GroupStats stats(String group, String deadLetterGroup) {
        try {
            StreamInfo info = info(group, StreamInfoOptions.filterSubjects(Naming.streamSubjects(group)));
            StreamInfo dead = info(deadLetterGroup, null);
            long deadLetters = dead == null ? 0 : dead.getStreamState().getMsgCount();
            if (info == null) return new GroupStats(group, known(0), known(0), known(0), known(deadLetters), unknown());
            long delayed = 0;
            long stored = 0;
            for (Subject s : info.getStreamState().getSubjects()) {
                if (s.getName().equals(Naming.delaySubject(group))) delayed += s.getCount();
                else stored += s.getCount();
            }
            long inFlight = 0;
            for (ConsumerInfo c : jsm.getConsumers(Naming.stream(group))) {
                if (!c.getName().equals(Naming.DELAY_CONSUMER)) inFlight += c.getNumAckPending();
            }
            return new GroupStats(group, known(Math.max(0, stored - inFlight)), known(inFlight), known(delayed), known(deadLetters), unknown());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw Errors.general(e, settings, "reading the counts of group " + group);
        }
    }

    /** The group's stream info (with the subject counts {@code options} asks for), or null when it has no stream. */
    private StreamInfo info(String group, StreamInfoOptions options) throws IOException, JetStreamApiException {
        try {
            return options == null ? jsm.getStreamInfo(Naming.stream(group)) : jsm.getStreamInfo(Naming.stream(group), options);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) return null;
            throw e;
        }
    }

    /**
     * The streams named {@code COURIER_<g>}, each read back into its group ({@link Naming#groupOfStream}); a group's
     * consumers, member, key and delay subjects live inside its stream, so they are never entries of their own.
     * Streams of other names (not Courier's) are left out.
     */
    @Override
    public GroupListing groups(String prefix) {
        try {
            List<String> groups = new ArrayList<>();
            for (String stream : jsm.getStreamNames()) {
                String g = Naming.groupOfStream(stream);
                if (g != null && g.startsWith(prefix)) groups.add(g);
            }
            return GroupListing.of(groups);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw Errors.general(e, settings, "listing the groups");
        }
    }

    @Override
    public boolean deleteGroup(String group) {
        return Admin.removeWithDeadLetters(group, this::deleteStream);
    }

    private boolean deleteStream(String group) {
        String stream = Naming.stream(group);
        try {
            jsm.deleteStream(stream);
            log.info("group deleted transport=nats group={} stream={}", group, stream);
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) return false;
            throw Errors.general(e, settings, "deleting stream " + stream + " of group " + group);
        } catch (IOException | RuntimeException e) {
            throw Errors.general(e, settings, "deleting stream " + stream + " of group " + group);
        } finally {
            streams.forget(group); // a later send of this transport creates the stream again
        }
    }
}
