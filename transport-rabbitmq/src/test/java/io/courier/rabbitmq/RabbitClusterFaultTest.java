package io.courier.rabbitmq;

import static io.courier.conformance.ClusterFaultRun.brokers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.conformance.ClusterFaultRun;
import io.courier.conformance.ClusterFaultRun.Result;
import io.courier.spi.TransportUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #21, clusters: a three-node RabbitMQ cluster ({@code scripts/brokers cluster up rabbitmq}, nodes
 * courier-r1..3@localhost, AMQP on 127.0.0.1:5681–5683) losing nodes under load, with {@link ClusterFaultRun}: 4
 * senders of 10,000 messages each, one group consuming. The group's queues are quorum queues with a replica on each
 * node. Lost must be 0; a refused send must be a {@code TransportUnavailableException}. The cluster is started here and
 * stopped in {@link AfterAll}; without rabbitmq-server the test fails under CI=true.
 */
@Timeout(value = 7, unit = TimeUnit.MINUTES) // a rolling restart reached 305 s at load 25–43 (run 3) and failed a 5-minute bound
class RabbitClusterFaultTest {
    static final String HOSTS = "127.0.0.1:5681,127.0.0.1:5682,127.0.0.1:5683";
    /** send-timeout 5s: a publish to a queue without quorum fails after 5 s, not 30 s; a dead node is noticed at once (RST). */
    static final String URL = "amqp://guest:guest@" + HOSTS + "/%2F?send-timeout=5s&recovery-interval=500ms&connect-timeout=5s";
    static final List<String> NODES = List.of("1", "2", "3");
    static final ObjectMapper JSON = new ObjectMapper();
    static final ClusterFaultRun.Cluster CLUSTER = new ClusterFaultRun.Cluster() {
        @Override public String broker() { return "rabbitmq"; }
        @Override public String url() { return URL; }
        @Override public void subscribed(String g, ClusterFaultRun run) throws Exception {
            for (JsonNode q : awaitQueues(g, Duration.ofSeconds(30))) {
                assertEquals("quorum", q.path("type").asText(), "type of " + q.path("name"));
                assertEquals(3, q.path("members").size(), "replicas of " + q.path("name") + ": " + q);
            }
            run.mark("quorum queues of " + g + ": 3 replicas each, leaders " + leaders(g));
        }
        @Override public String diagnose(String g) {
            try {
                return queues(g).toString();
            } catch (Exception e) {
                return "no queue list: " + e;
            }
        }
        @Override public void cleanup(String g) {
            try (RabbitTransport t = RabbitTransport.open(new RabbitSettings(TransportUrl.parse(URL)))) {
                t.admin().orElseThrow().deleteGroup(g);
            } catch (Exception e) {
                System.out.println("rabbitmq cluster: could not delete the queues of " + g + ": " + e);
            }
        }
    };

    @BeforeAll
    static void cluster() throws Exception {
        ClusterFaultRun.require(Files.isExecutable(Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server")),
                "rabbitmq-server is not installed: install it with scripts/brokers up rabbitmq (apt-get install rabbitmq-server)");
        brokers("rabbitmq", "up");
    }

    @AfterEach
    void allNodesBack() throws Exception { brokers("rabbitmq", "up"); }

    @AfterAll
    static void stopCluster() throws Exception { brokers("rabbitmq", "down"); }

    // ------------------------------------------------------------------------------------------------ the faults

    @Test
    void theLeaderOfTheGroupsQueueKilledMidRun() throws Exception {
        ClusterFaultRun.run(CLUSTER, "leader", ClusterFaultRun.leaderKilled("rabbitmq", RabbitClusterFaultTest::leaderOfGroupQueue,
                RabbitClusterFaultTest::leaders)).check();
    }

    @Test
    void quorumLostSendsFailWithTransportUnavailableThenRecover() throws Exception {
        Result r = ClusterFaultRun.run(CLUSTER, "quorum", ClusterFaultRun.quorumLost("rabbitmq", NODES,
                RabbitClusterFaultTest::leaderOfGroupQueue, Duration.ofSeconds(10)));
        r.checkOutage("two of three nodes gone for 10 s, no quorum queue with a majority");
        // send-timeout 5 s bounds the waits for the connection and for the confirm; a queue declaration inside the send
        // is bounded by the 10 s RPC timeout instead (known defect: one deadline for the whole send would fix it), so a
        // refusal may take 5 + 10 s and more on a loaded machine (18.0 s at load 25–43): the bound catches a hang.
        assertTrue(r.longestRefusal() < 30, "a refused send took " + r.longestRefusal() + " s to fail (send-timeout 5s): " + r);
    }

    @Test
    void rollingRestartOfEveryNode() throws Exception {
        // the next node goes only when every queue of the group has its 3 replicas online again
        Result r = ClusterFaultRun.run(CLUSTER, "rolling", ClusterFaultRun.rollingRestart("rabbitmq", NODES,
                RabbitClusterFaultTest::leaders, g -> awaitAllOnline(g, Duration.ofSeconds(60))));
        r.check();
    }

    // ------------------------------------------------------------------------------------------------ the cluster

    /** The group's queues ({@code courier.g}, {@code courier.g~key-0} …) as {@code scripts/brokers cluster queues rabbitmq} lists them. */
    static List<JsonNode> queues(String g) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode q : JSON.readTree(ClusterFaultRun.query("rabbitmq", "queues"))) {
            String name = q.path("name").asText();
            if (name.equals("courier." + g) || name.startsWith("courier." + g + "~key-")) out.add(q);
        }
        return out;
    }

    static List<JsonNode> awaitQueues(String g, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            List<JsonNode> q = queues(g);
            if (!q.isEmpty() && q.stream().allMatch(n -> !n.path("leader").asText().isEmpty())) return q;
            if (System.nanoTime() > deadline) throw new IllegalStateException("the queues of " + g + " have no leader after " + bound.toSeconds() + " s: " + q);
            Thread.sleep(200);
        }
    }

    /** Node number (1–3) → the queues of the group it leads. */
    static Map<Integer, List<String>> leaders(String g) throws Exception {
        Map<Integer, List<String>> out = new TreeMap<>();
        for (JsonNode q : queues(g)) {
            String leader = q.path("leader").asText();
            if (leader.startsWith("courier-r")) out.computeIfAbsent(node(leader), k -> new ArrayList<>()).add(q.path("name").asText());
        }
        return out;
    }

    static int node(String nodeName) { return Integer.parseInt(nodeName.substring("courier-r".length(), nodeName.indexOf('@'))); }

    /** The node (1–3) that leads the group's own queue {@code courier.g} (the one every plain message goes to). */
    static String leaderOfGroupQueue(String g) throws Exception {
        for (JsonNode q : awaitQueues(g, Duration.ofSeconds(30))) {
            if (q.path("name").asText().equals("courier." + g)) return "" + node(q.path("leader").asText());
        }
        throw new IllegalStateException("no queue courier." + g);
    }

    /** Waits until every queue of the group has a leader and its 3 members online, at most {@code bound}. */
    static boolean awaitAllOnline(String g, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            List<JsonNode> q = queues(g);
            if (!q.isEmpty() && q.stream().allMatch(n -> n.path("online").size() == 3 && !n.path("leader").asText().isEmpty())) return true;
            if (System.nanoTime() > deadline) throw new IllegalStateException("the replicas of " + g + " are not all online after " + bound.toSeconds() + " s: " + q);
            Thread.sleep(500);
        }
    }
}
