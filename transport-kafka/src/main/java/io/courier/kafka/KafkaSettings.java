package io.courier.kafka;

import io.courier.InvalidUrlException;
import io.courier.spi.Parameter;
import io.courier.spi.Parameter.Kind;
import io.courier.spi.TransportUrl;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The {@code kafka://} URL parameters, declared once with defaults and documentation, and the kafka-clients
 * configurations derived from them. Defaults favour throughput with full durability: {@code acks=all} and
 * idempotence always, 5 ms linger with 256 KiB batches, asynchronous batched offset commits.
 */
final class KafkaSettings {
    static final Parameter CONNECT_TIMEOUT = Parameter.of("connect-timeout", Kind.DURATION, "10s",
            "how long open waits for the cluster to answer, and the longest a send blocks for metadata");
    static final Parameter SEND_TIMEOUT = Parameter.of("send-timeout", Kind.DURATION, "30s",
            "longest a send may stay unconfirmed (delivery.timeout.ms) before it fails with TransportUnavailableException");
    static final Parameter LINGER = Parameter.of("linger", Kind.DURATION, "5ms",
            "producer linger.ms: how long records wait to fill a batch");
    static final Parameter BATCH_SIZE = new Parameter("batch-size", Kind.INT, "262144",
            "producer batch.size in bytes", v -> Integer.parseInt(v) > 0);
    static final Parameter COMPRESSION = new Parameter("compression", Kind.STRING, "none",
            "producer compression.type: none, gzip, snappy, lz4 or zstd",
            v -> Set.of("none", "gzip", "snappy", "lz4", "zstd").contains(v));
    static final Parameter MAX_REQUEST_SIZE = new Parameter("max-request-size", Kind.INT, "1048576",
            "producer max.request.size in bytes; the largest message is the smaller of it and the broker's message.max.bytes, less Courier's headers",
            v -> Integer.parseInt(v) >= 4096);
    static final Parameter PARTITIONS = new Parameter("partitions", Kind.INT, "8",
            "partitions of the topics Courier creates: the most members of one group that receive at once",
            v -> Integer.parseInt(v) >= 1);
    static final Parameter REPLICATION_FACTOR = new Parameter("replication-factor", Kind.INT, "0",
            "replication factor of created topics; 0: the smaller of 3 and the number of brokers",
            v -> Integer.parseInt(v) >= 0);
    static final Parameter RETENTION = Parameter.of("retention", Kind.DURATION, "168h",
            "retention.ms of created topics: how long an unconsumed message is kept");
    static final Parameter SESSION_TIMEOUT = Parameter.of("session-timeout", Kind.DURATION, "10s",
            "consumer session.timeout.ms: how soon a member whose connection is gone loses its partitions (broker minimum 6s)");
    static final Parameter COMMIT_INTERVAL = Parameter.of("commit-interval", Kind.DURATION, "100ms",
            "how often settled offsets are committed (asynchronously, batched)");
    static final Parameter REVOKE_GRACE = Parameter.of("revoke-grace", Kind.DURATION, "30s",
            "on a rebalance, how long a member waits for its in-flight deliveries of revoked partitions to be settled before it commits and lets them go (fewer duplicates)");
    static final Parameter STALL_TIMEOUT = Parameter.of("stall-timeout", Kind.DURATION, "10s",
            "a receiver that holds due records but has not asked for any for this long (capped by the ack deadline) leaves its consumer group so that other members take its partitions; it rejoins on its next receive");
    static final Parameter DELAY_BUFFER = new Parameter("delay-buffer", Kind.INT, "10000",
            "most not-yet-due records (nack delay, not-before) a receiver holds before it pauses their partitions",
            v -> Integer.parseInt(v) >= 1);
    static final Parameter TOPIC_PREFIX = new Parameter("topic-prefix", Kind.STRING, "courier.",
            "prefix of every topic and consumer group Courier uses", v -> v.matches("[A-Za-z0-9._-]{1,50}"));
    static final Parameter CLIENT_ID = new Parameter("client-id", Kind.STRING, "courier",
            "client.id prefix, shown in broker logs and metrics", v -> v.matches("[A-Za-z0-9._-]{1,100}"));
    static final Parameter SASL_MECHANISM = new Parameter("sasl-mechanism", Kind.STRING, "PLAIN",
            "SASL mechanism when the URL has user:password: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
            v -> Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512").contains(v));
    static final Parameter TLS = Parameter.of("tls", Kind.BOOLEAN, "false", "connect with TLS (SSL or SASL_SSL)");

    static final List<Parameter> ALL = List.of(CONNECT_TIMEOUT, SEND_TIMEOUT, LINGER, BATCH_SIZE, COMPRESSION,
            MAX_REQUEST_SIZE, PARTITIONS, REPLICATION_FACTOR, RETENTION, SESSION_TIMEOUT, COMMIT_INTERVAL, REVOKE_GRACE, STALL_TIMEOUT, DELAY_BUFFER,
            TOPIC_PREFIX, CLIENT_ID, SASL_MECHANISM, TLS);

    final TransportUrl url;
    final String bootstrap;
    final Duration connectTimeout;
    final Duration sendTimeout;
    final int maxRequestSize;
    final int partitions;
    final int replicationFactor;
    final Duration retention;
    final Duration sessionTimeout;
    final Duration commitInterval;
    final Duration revokeGrace;
    final Duration stallTimeout;
    final int delayBuffer;
    final String topicPrefix;
    final String clientId;

    KafkaSettings(TransportUrl url) {
        if (url.hosts().isEmpty()) {
            throw new InvalidUrlException("kafka:// needs at least one broker: write kafka://host:9092[,host2:9092]");
        }
        if (!url.path().isEmpty() && !url.path().equals("/")) {
            throw new InvalidUrlException("kafka:// takes no path, got '" + url.path() + "' in " + url.redacted()
                    + ": write kafka://host:9092[,host2:9092][?parameter=value]");
        }
        if (url.user() != null && url.password() == null) {
            throw new InvalidUrlException("kafka:// URL names user '" + url.user() + "' without a password: write kafka://user:password@host:9092");
        }
        url.validate(ALL); // idempotent; also when the provider is used without the facade
        this.url = url;
        this.bootstrap = url.hostList(9092);
        this.connectTimeout = url.durationParam(CONNECT_TIMEOUT.name());
        this.sendTimeout = url.durationParam(SEND_TIMEOUT.name());
        this.maxRequestSize = url.intParam(MAX_REQUEST_SIZE.name());
        this.partitions = url.intParam(PARTITIONS.name());
        this.replicationFactor = url.intParam(REPLICATION_FACTOR.name());
        this.retention = url.durationParam(RETENTION.name());
        this.sessionTimeout = url.durationParam(SESSION_TIMEOUT.name());
        this.commitInterval = url.durationParam(COMMIT_INTERVAL.name());
        this.revokeGrace = url.durationParam(REVOKE_GRACE.name());
        this.stallTimeout = url.durationParam(STALL_TIMEOUT.name());
        this.delayBuffer = url.intParam(DELAY_BUFFER.name());
        this.topicPrefix = url.param(TOPIC_PREFIX.name());
        this.clientId = url.param(CLIENT_ID.name());
        if (sendTimeout.compareTo(Duration.ofSeconds(2)) < 0) {
            throw new InvalidUrlException("send-timeout must be at least 2s, got " + sendTimeout);
        }
        if (sessionTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new InvalidUrlException("session-timeout must be at least 1s (the broker's default minimum is 6s), got " + sessionTimeout);
        }
    }

    /** True when the URL carries credentials (SASL). Never log the password. */
    boolean sasl() { return url.user() != null; }

    String securityProtocol() {
        boolean tls = url.boolParam(TLS.name());
        return sasl() ? (tls ? "SASL_SSL" : "SASL_PLAINTEXT") : (tls ? "SSL" : "PLAINTEXT");
    }

    private Properties common(String role) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-" + role);
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol());
        // Reconnect fast after a broker restart or a cut connection; the client library does the reconnecting.
        p.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, "50");
        p.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Long.toString(Math.min(10_000, connectTimeout.toMillis())));
        p.put(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, Long.toString(Math.max(10_000, connectTimeout.toMillis())));
        if (sasl()) {
            String mechanism = url.param(SASL_MECHANISM.name());
            String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            p.put(SaslConfigs.SASL_MECHANISM, mechanism);
            p.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + jaasEscape(url.user())
                    + "\" password=\"" + jaasEscape(url.password()) + "\";");
        }
        return p;
    }

    private static String jaasEscape(String s) { return s.replace("\\", "\\\\").replace("\"", "\\\""); }

    Properties admin() {
        Properties p = common("admin");
        long t = connectTimeout.toMillis();
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, t)));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, t)));
        return p;
    }

    Properties producer() {
        Properties p = common("producer");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(url.durationParam(LINGER.name()).toMillis()));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, url.param(BATCH_SIZE.name()));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, url.param(COMPRESSION.name()));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(maxRequestSize));
        long delivery = sendTimeout.toMillis();
        long linger = url.durationParam(LINGER.name()).toMillis();
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, Math.min(15_000, delivery - linger - 1))));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(delivery));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(connectTimeout.toMillis()));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    Properties consumer(String groupId, int prefetch, String instance) {
        Properties p = common("consumer-" + instance);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(Math.max(1, Math.min(prefetch, 1000))));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Long.toString(sessionTimeout.toMillis()));
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Long.toString(Math.max(100, sessionTimeout.toMillis() / 4)));
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Courier creates its topics itself, with its settings; never let a consumer create one with broker defaults.
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(Math.max(5_000, connectTimeout.toMillis())));
        return p;
    }
}
