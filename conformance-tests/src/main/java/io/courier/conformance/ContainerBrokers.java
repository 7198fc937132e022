package io.courier.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brokers in containers, for a user's own CI: where a Docker engine is available (and Testcontainers is on the class
 * path), {@link #fixture} starts the broker in a container (Kafka with a proxied listener for the cut tests, RabbitMQ,
 * NATS with JetStream, ElasticMQ for SQS with its messages persisted, PostgreSQL) and returns a fixture for it that
 * can restart it ({@code docker restart}, on fixed host ports) and cut its connections; without one, it says so in
 * one log line and returns the fallback fixture (a URL, or the broker {@code scripts/brokers} runs).
 * <pre>{@code
 * class KafkaConformanceTest extends ConformanceSuite {
 *     protected TransportFixture fixture() {
 *         return ContainerBrokers.fixture(ContainerBrokers.Broker.KAFKA, () -> new UrlFixture("kafka://127.0.0.1:9092", null, false));
 *     }
 * }
 * }</pre>
 * Testcontainers ({@code org.testcontainers:testcontainers}, {@code kafka}, {@code rabbitmq}, {@code postgresql}
 * 1.21.x) is a provided dependency of the suite: add it to the test class path to use containers. The container
 * path is untested on the machines this repository is built on (they have no Docker engine); the fallback is.
 */
public final class ContainerBrokers {
    private static final Logger log = LoggerFactory.getLogger(ContainerBrokers.class);

    private ContainerBrokers() {}

    /** The brokers a container can be started for, with the image used. */
    public enum Broker {
        KAFKA("apache/kafka:4.1.1", "kafka", "kafka://127.0.0.1:9092"),
        RABBITMQ("rabbitmq:3.13", "rabbitmq", "amqp://guest:guest@127.0.0.1:5672/%2F"),
        NATS("nats:2.10", "nats", "nats://127.0.0.1:4222"),
        SQS("softwaremill/elasticmq-native:1.6.15", "elasticmq", "sqs://127.0.0.1:9324?region=elasticmq"),
        POSTGRES("postgres:15", "postgres", "postgres://postgres@127.0.0.1:5432/test");

        final String image;
        /** Its name for {@code scripts/brokers}. */
        final String script;
        /** Where {@code scripts/brokers} runs it. */
        final String localUrl;

        Broker(String image, String script, String localUrl) {
            this.image = image;
            this.script = script;
            this.localUrl = localUrl;
        }

        String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /**
     * A fixture of {@code broker} in a container when a Docker engine is available; otherwise, after one log line, the
     * URL in {@code COURIER_CONFORMANCE_URL} or else the broker that {@code scripts/brokers} runs on 127.0.0.1 (restarted
     * with {@code scripts/brokers restart} when the script is there; Kafka's cut tests through its proxied listener 9094).
     */
    public static TransportFixture fixture(Broker broker) { return fixture(broker, () -> urlOrRepository(broker, System.getenv("COURIER_CONFORMANCE_URL"))); }

    /** The fallback of {@link #fixture(Broker)}. */
    static TransportFixture urlOrRepository(Broker broker, String url) {
        if (url != null && !url.isBlank()) return new UrlFixture(url, null, false);
        String restart = RepositoryBrokers.canRestart() ? "'" + RepositoryBrokers.script() + "' restart " + broker.script : null;
        if (broker == Broker.KAFKA) {
            try {
                return new UrlFixture(broker.localUrl, restart, false, 9094);
            } catch (IllegalArgumentException noProxiedListener) {
                // not scripts/brokers' Kafka (or not up): the cut tests are then not-run, with the reason
            }
        }
        return new UrlFixture(broker.localUrl, restart, false);
    }

    /**
     * A fixture of {@code broker} in a new container when a Docker engine is available; otherwise, after one log line
     * that says why, {@code fallback}'s. The container is removed when the JVM exits (Testcontainers' reaper, and a
     * shutdown hook).
     */
    public static TransportFixture fixture(Broker broker, Supplier<? extends TransportFixture> fallback) {
        return fixture(broker, fallback, dockerUnavailableReason(), log::warn);
    }

    /** As {@link #fixture(Broker, Supplier)}, with the probe's answer and the log line's sink given (for tests). */
    static TransportFixture fixture(Broker broker, Supplier<? extends TransportFixture> fallback, String noDockerReason, Consumer<String> logLine) {
        if (noDockerReason == null) return BrokerContainers.start(broker);
        TransportFixture f = fallback.get();
        logLine.accept("conformance: " + broker.label() + " not in a container (" + noDockerReason + "); using " + redacted(f.url()));
        return f;
    }

    /** Null when a Docker engine looks usable to Testcontainers; otherwise why not, in a few words. */
    public static String dockerUnavailableReason() {
        return dockerUnavailableReason(System.getenv(), Files::exists, testcontainersPresent(), ContainerBrokers::askTestcontainers);
    }

    /**
     * The probe: Testcontainers on the class path, then (cheaply, without Testcontainers' own multi-line error log when
     * there is nothing) a {@code DOCKER_HOST}, a Testcontainers configuration or a Docker socket in the usual places,
     * and only then Testcontainers' own check ({@code ask}, null when it found a working engine).
     */
    static String dockerUnavailableReason(Map<String, String> env, Predicate<Path> exists, boolean testcontainers, Supplier<String> ask) {
        if (!testcontainers) return "no Docker engine checked: org.testcontainers:testcontainers is not on the class path";
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        List<Path> sockets = new ArrayList<>(List.of(Path.of("/var/run/docker.sock"), Path.of(home, ".docker", "run", "docker.sock"),
                Path.of(home, ".docker", "desktop", "docker.sock"), Path.of(home, ".testcontainers.properties")));
        if (env.get("XDG_RUNTIME_DIR") != null) sockets.add(Path.of(env.get("XDG_RUNTIME_DIR"), "docker.sock"));
        boolean configured = env.get("DOCKER_HOST") != null || env.get("TESTCONTAINERS_HOST_OVERRIDE") != null || sockets.stream().anyMatch(exists);
        if (!configured) return "no Docker engine: DOCKER_HOST is not set and there is no Docker socket (/var/run/docker.sock, ~/.docker/run/docker.sock …)";
        return ask.get();
    }

    static boolean testcontainersPresent() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, ContainerBrokers.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String askTestcontainers() {
        try {
            return org.testcontainers.DockerClientFactory.instance().isDockerAvailable() ? null : "Testcontainers found no working Docker engine";
        } catch (RuntimeException | LinkageError e) {
            return "Testcontainers could not use the Docker engine: " + e;
        }
    }

    private static String redacted(String url) {
        try {
            return io.courier.spi.TransportUrl.parse(url).redacted();
        } catch (RuntimeException e) {
            return "the fallback fixture";
        }
    }
}
