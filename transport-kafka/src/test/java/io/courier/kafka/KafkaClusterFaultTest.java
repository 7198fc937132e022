package io.courier.kafka;

import static io.courier.conformance.ClusterFaultRun.brokers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.InvalidUrlException;
import io.courier.conformance.ClusterFaultRun;
import io.courier.spi.TransportUrl;
import io.courier.conformance.ClusterFaultRun.Result;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #21, clusters: a three-node Kafka KRaft cluster ({@code scripts/brokers cluster up kafka}, clients on
 * 127.0.0.1:9301–9303, every node broker and controller) losing nodes under load, with {@link ClusterFaultRun}: 4
 * senders of 10,000 messages each, one group consuming. The group's topic must have 3 replicas and
 * {@code min.insync.replicas=2}. Lost must be 0; a refused send must be a {@code TransportUnavailableException}.
 * The cluster is started here and stopped in {@link AfterAll}; the Kafka jars are fetched by the script when missing.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES) // a rolling restart took 222 s at load average ~36 on 2 cores
class KafkaClusterFaultTest {
    static final String HOSTS = "127.0.0.1:9301,127.0.0.1:9302,127.0.0.1:9303";
    /** send-timeout 5s: a send that cannot reach 2 in-sync replicas fails after 5 s, not the default 30 s. */
    static final String URL = "kafka://" + HOSTS + "?send-timeout=5s&session-timeout=6s";
    static final Topics TOPICS = new Topics("courier.");
    static final ClusterFaultRun.Cluster CLUSTER = new ClusterFaultRun.Cluster() {
        @Override public String broker() { return "kafka"; }
        @Override public String url() { return URL; }
        @Override public void subscribed(String g, ClusterFaultRun run) throws Exception {
            String topic = topic(g);
            TopicDescription d = describe(topic);
            Config c = ADMIN.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, topic))).all().get(10, TimeUnit.SECONDS)
                    .values().iterator().next();
            for (TopicPartitionInfo p : d.partitions()) assertEquals(3, p.replicas().size(), "replicas of " + topic + "-" + p.partition());
            assertEquals("2", c.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value(), "min.insync.replicas of " + topic);
            run.mark("topic " + topic + ": " + d.partitions().size() + " partitions, 3 replicas, min.insync.replicas 2, leaders " + leaders(g));
        }
        @Override public String diagnose(String g) {
            try {
                return describe(topic(g)).partitions().stream().map(p -> p.partition() + ": leader " + p.leader() + " isr " + p.isr())
                        .collect(Collectors.joining("; "));
            } catch (Exception e) {
                return "no topic description: " + e;
            }
        }
        @Override public void cleanup(String g) {
            try {
                ADMIN.deleteTopics(List.of(topic(g), TOPICS.group(g).retryTopic())).all().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.out.println("kafka cluster: could not delete the topics of " + g + ": " + e);
            }
        }
    };
    static Admin ADMIN;

    @BeforeAll
    static void cluster() throws Exception {
        brokers("kafka", "up");
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOSTS);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        ADMIN = Admin.create(p);
    }

    @AfterEach
    void allNodesBack() throws Exception { brokers("kafka", "up"); }

    @AfterAll
    static void stopCluster() throws Exception {
        if (ADMIN != null) ADMIN.close(Duration.ofSeconds(5));
        brokers("kafka", "down");
    }

    // ------------------------------------------------------------------------------------------------ the faults

    @Test
    void theLeaderOfTheGroupsPartitionsKilledMidRun() throws Exception {
        ClusterFaultRun.run(CLUSTER, "leader", ClusterFaultRun.leaderKilled("kafka", g -> "" + busiestLeader(g), KafkaClusterFaultTest::leaders)).check();
    }

    @Test
    void twoNodesLostSendsFailWithTransportUnavailableThenRecover() throws Exception {
        Result r = ClusterFaultRun.run(CLUSTER, "quorum", ClusterFaultRun.quorumLost("kafka", List.of("1", "2", "3"), g -> "" + busiestLeader(g),
                Duration.ofSeconds(10)));
        r.checkOutage("two of three nodes gone for 10 s, fewer than min.insync.replicas alive");
        assertTrue(r.longestRefusal() < 15, "a refused send took " + r.longestRefusal() + " s to fail (send-timeout 5s): " + r);
    }

    @Test
    void rollingRestartOfEveryNode() throws Exception {
        // the next node goes only when every partition has its 3 replicas in sync again
        Result r = ClusterFaultRun.run(CLUSTER, "rolling", ClusterFaultRun.rollingRestart("kafka", List.of("1", "2", "3"),
                KafkaClusterFaultTest::leaders, g -> awaitFullIsr(g, Duration.ofSeconds(60))));
        r.check();
    }

    @Test
    void moreReplicasThanBrokersAreRefusedNamingTheParameter() throws Exception {
        // before: a plain CourierException "creating topic … failed at Kafka at …: InvalidReplicationFactorException"
        var t = ClusterFaultRun.firstSendFailure("kafka://" + HOSTS + "?replication-factor=4&send-timeout=5s", "rf4", InvalidUrlException.class);
        assertTrue(t.getMessage().contains("replication-factor=4") && t.getMessage().contains("3 brokers"), t.getMessage());
    }

    @Test
    void theProducerWaitsForEveryInSyncReplicaAndIsIdempotent() {
        Properties p = new KafkaSettings(TransportUrl.parse(URL)).producer();
        assertEquals("all", p.get(ProducerConfig.ACKS_CONFIG));
        assertEquals("true", p.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals(HOSTS, p.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG), "every host of the URL is a bootstrap server");
    }

    // ------------------------------------------------------------------------------------------------ the cluster

    static String topic(String g) { return TOPICS.group(g).topic(); }

    static TopicDescription describe(String topic) throws Exception {
        return ADMIN.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    }

    /** Node id → the partitions of the group's topic it leads, from the admin client's metadata. */
    static Map<Integer, List<Integer>> leaders(String g) throws Exception {
        return describe(topic(g)).partitions().stream().filter(p -> p.leader() != null)
                .collect(Collectors.groupingBy(p -> p.leader().id(), TreeMap::new, Collectors.mapping(TopicPartitionInfo::partition, Collectors.toList())));
    }

    /** The node that leads the most partitions of the group's topic. */
    static int busiestLeader(String g) throws Exception {
        return leaders(g).entrySet().stream().max(Map.Entry.comparingByValue((a, b) -> a.size() - b.size())).orElseThrow().getKey();
    }

    /** Waits until every partition of the group's topic has all 3 replicas in its ISR, at most {@code bound}. */
    static boolean awaitFullIsr(String g, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            try {
                if (describe(topic(g)).partitions().stream().allMatch(p -> p.isr().size() == 3 && p.leader() != null)) return true;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) throw e;
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("the ISR of " + topic(g) + " is not full after " + bound.toSeconds() + " s");
            Thread.sleep(200);
        }
    }
}
