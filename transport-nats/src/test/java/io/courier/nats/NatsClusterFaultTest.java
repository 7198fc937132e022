package io.courier.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.TransportUnavailableException;
import io.courier.conformance.ClusterFaultRun;
import io.courier.conformance.ClusterFaultRun.Result;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StreamInfo;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #21, clusters: a three-node NATS JetStream cluster ({@code scripts/brokers cluster up nats}, clients on
 * 127.0.0.1:4231–4233) losing nodes under load, with {@link ClusterFaultRun}: a group whose stream has 3 replicas, 4
 * senders (their own connections) of 10,000 messages each, and one subscription consuming them while the fault runs.
 * Lost = a send answered OK whose message never arrived: must be 0. A refused send must be a
 * {@link TransportUnavailableException} (counted); any other exception type fails the test. The cluster is
 * started by the test and stopped in {@link AfterAll}; without nats-server the test fails under CI=true.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class NatsClusterFaultTest {
    static final String SERVERS = "nats://127.0.0.1:4231,127.0.0.1:4232,127.0.0.1:4233";
    static final String URL = SERVERS + "?replicas=3&send-timeout=2s&reconnect-wait=100ms";
    static final ClusterFaultRun.Cluster CLUSTER = new ClusterFaultRun.Cluster() {
        @Override public String broker() { return "nats"; }
        @Override public String url() { return URL; }
        @Override public void subscribed(String g, ClusterFaultRun run) throws Exception {
            StreamInfo info = streamInfo(g);
            assertEquals(3, info.getConfiguration().getReplicas(), "the group's stream should have 3 replicas");
            run.mark("stream " + Naming.stream(g) + " leader " + info.getClusterInfo().getLeader() + " followers "
                    + info.getClusterInfo().getReplicas().size());
        }
        @Override public String diagnose(String g) { return NatsClusterFaultTest.diagnose(g); }
        @Override public void cleanup(String g) { deleteStream(g); }
    };

    @BeforeAll
    static void cluster() throws Exception {
        boolean binary = Files.isExecutable(Path.of("/usr/sbin/nats-server"))
                || System.getenv("PATH") != null && java.util.Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
                        .anyMatch(d -> Files.isExecutable(Path.of(d, "nats-server")));
        ClusterFaultRun.require(binary, "nats-server is not installed: install it with scripts/brokers up nats (apt-get install nats-server)");
        brokers("up");
    }

    @AfterEach
    void allNodesBack() throws Exception { brokers("up"); }

    @AfterAll
    static void stopCluster() throws Exception { brokers("down"); }

    // ------------------------------------------------------------------------------------------------ the faults

    @Test
    void theStreamLeaderKilledMidRun() throws Exception {
        ClusterFaultRun.run(CLUSTER, "leader", ClusterFaultRun.leaderKilled("nats", g -> node(leaderOf(g)), NatsClusterFaultTest::leaderOf)).check();
    }

    @Test
    void quorumLostSendsFailWithTransportUnavailableThenRecover() throws Exception {
        Result r = ClusterFaultRun.run(CLUSTER, "quorum", ClusterFaultRun.quorumLost("nats", List.of("1", "2", "3"), g -> node(leaderOf(g)),
                Duration.ofSeconds(8)));
        r.checkOutage("the stream's quorum lost for 8 s");
    }

    @Test
    void rollingRestartOfEveryNode() throws Exception {
        // the next node goes only when every replica of the stream is current (caught up) again
        Result r = ClusterFaultRun.run(CLUSTER, "rolling", ClusterFaultRun.rollingRestart("nats", List.of("1", "2", "3"),
                NatsClusterFaultTest::leaderOf, g -> awaitReplicasCurrent(g, Duration.ofSeconds(60))));
        r.check();
    }

    @Test
    void moreReplicasThanNodesAreRefusedNamingTheClusterSize() throws Exception {
        // before: the server's "insufficient resources" was hidden behind "stream not found" (10059) of the look-up
        // that followed the refused creation, as a plain CourierException
        var t = ClusterFaultRun.firstSendFailure(SERVERS + "?replicas=5&send-timeout=5s", "r5", TransportUnavailableException.class);
        assertTrue(t.getMessage().contains("replicas=5") && t.getMessage().contains("fewer than 5 servers"), t.getMessage());
    }

    // ------------------------------------------------------------------------------------------------ the cluster

    /** {@code scripts/brokers cluster ACTION nats [NODE]} ({@link ClusterFaultRun#brokers}). */
    static void brokers(String action, String... node) throws Exception { ClusterFaultRun.brokers("nats", action, node); }

    static String node(String serverName) { return serverName.substring(1); } // n2 → 2

    static StreamInfo streamInfo(String g) throws Exception {
        Options o = new Options.Builder().servers(serverUrls()).connectionTimeout(Duration.ofSeconds(2)).maxReconnects(0).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Connection nc = Nats.connect(o)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                StreamInfo info = jsm.getStreamInfo(Naming.stream(g));
                if (info.getClusterInfo() != null && info.getClusterInfo().getLeader() != null) return info;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) throw e;
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("stream " + Naming.stream(g) + " has no leader after 30 s");
            Thread.sleep(200);
        }
    }

    /** The stream's state and its consumers' positions, for a run that did not drain (the stream is then kept). */
    static String diagnose(String g) {
        Options o = new Options.Builder().servers(serverUrls()).connectionTimeout(Duration.ofSeconds(2)).maxReconnects(0).build();
        try (Connection nc = Nats.connect(o)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            StreamInfo si = jsm.getStreamInfo(Naming.stream(g));
            StringBuilder b = new StringBuilder("stream msgs=" + si.getStreamState().getMsgCount() + " first=" + si.getStreamState().getFirstSequence()
                    + " last=" + si.getStreamState().getLastSequence() + " leader=" + si.getClusterInfo().getLeader());
            for (var ci : jsm.getConsumers(Naming.stream(g))) {
                if (ci.getNumPending() == 0 && ci.getNumAckPending() == 0 && !ci.getName().equals(Naming.ANY_CONSUMER)) continue;
                b.append("; consumer ").append(ci.getName()).append(" delivered=").append(ci.getDelivered().getStreamSequence())
                        .append(" ackFloor=").append(ci.getAckFloor().getStreamSequence()).append(" pending=").append(ci.getNumPending())
                        .append(" ackPending=").append(ci.getNumAckPending()).append(" waiting=").append(ci.getNumWaiting())
                        .append(" redelivered=").append(ci.getRedelivered())
                        .append(" leader=").append(ci.getClusterInfo() == null ? "?" : ci.getClusterInfo().getLeader());
            }
            return b.toString();
        } catch (Exception e) {
            return "no stream info: " + e;
        }
    }

    /** Removes the group's stream (so that the cluster's store does not grow run after run). */
    static void deleteStream(String g) {
        Options o = new Options.Builder().servers(serverUrls()).connectionTimeout(Duration.ofSeconds(2)).maxReconnects(0).build();
        try (Connection nc = Nats.connect(o)) {
            nc.jetStreamManagement().deleteStream(Naming.stream(g));
        } catch (Exception e) {
            System.out.println("nats cluster: could not delete stream " + Naming.stream(g) + ": " + e);
        }
    }

    static String[] serverUrls() {
        return java.util.Arrays.stream(SERVERS.substring("nats://".length()).split(",")).map(h -> "nats://" + h).toArray(String[]::new);
    }

    /** Waits until the stream has a leader and every follower is current (caught up), at most {@code bound}. */
    static boolean awaitReplicasCurrent(String g, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            StreamInfo info = streamInfo(g);
            var replicas = info.getClusterInfo().getReplicas();
            if (replicas != null && replicas.size() == 2 && replicas.stream().allMatch(r -> r.isCurrent() && !r.isOffline())) return true;
            if (System.nanoTime() > deadline) throw new IllegalStateException("the replicas of stream " + Naming.stream(g) + " are not current after " + bound.toSeconds() + " s");
            Thread.sleep(200);
        }
    }

    /** The server name (n1, n2, n3) of the leader of the group's stream, from JetStream stream info. */
    static String leaderOf(String g) throws Exception { return streamInfo(g).getClusterInfo().getLeader(); }

    static String leaderOfQuietly(String g) {
        try {
            return leaderOf(g);
        } catch (Exception e) {
            return "unknown (" + e.getClass().getSimpleName() + ")";
        }
    }

}
