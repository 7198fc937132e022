package io.courier.conformance;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.containers.RabbitMQContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The Testcontainers half of {@link ContainerBrokers}, loaded only once a Docker engine was found (so that the suite
 * runs without Testcontainers on the class path). Every container publishes its ports on fixed free host ports, so
 * that {@code docker restart} (the fixture's broker restart) keeps its URL. Untested on this repository's machines:
 * they have no Docker engine.
 */
final class BrokerContainers {
    private BrokerContainers() {}

    static TransportFixture start(ContainerBrokers.Broker broker) {
        return switch (broker) {
            case KAFKA -> kafka();
            case RABBITMQ -> {
                int amqp = freePort();
                RabbitMQContainer c = new RabbitMQContainer(broker.image);
                yield started(c, List.of(amqp + ":5672"), "amqp://guest:guest@127.0.0.1:" + amqp + "/%2F", 0);
            }
            case NATS -> {
                int port = freePort();
                GenericContainer<?> c = new GenericContainer<>(broker.image).withCommand("-js", "-sd", "/data").withExposedPorts(4222)
                        .waitingFor(Wait.forLogMessage(".*Server is ready.*", 1));
                yield started(c, List.of(port + ":4222"), "nats://127.0.0.1:" + port, 0);
            }
            case SQS -> {
                int port = freePort();
                GenericContainer<?> c = new GenericContainer<>(broker.image).withExposedPorts(9324)
                        .withCopyToContainer(Transferable.of(elasticMqConf(port)), "/opt/elasticmq.conf")
                        .waitingFor(Wait.forListeningPort());
                yield started(c, List.of(port + ":9324"), "sqs://127.0.0.1:" + port + "?region=elasticmq", 0);
            }
            case POSTGRES -> {
                int port = freePort();
                PostgreSQLContainer<?> c = new PostgreSQLContainer<>(broker.image).withDatabaseName("test").withUsername("courier").withPassword("courier");
                yield started(c, List.of(port + ":5432"), "postgres://courier:courier@127.0.0.1:" + port + "/test", 0);
            }
        };
    }

    /**
     * Kafka (KRaft) with a second listener on 9094 inside the container, advertised as {@code 127.0.0.1:<proxy port>},
     * where the cut tests' proxy listens ({@link KafkaProxiedListener}).
     */
    private static TransportFixture kafka() {
        int bootstrap = freePort(), proxied = freePort(), proxy = freePort();
        KafkaContainer c = new KafkaContainer(ContainerBrokers.Broker.KAFKA.image)
                .withListener("proxied:9094", () -> "127.0.0.1:" + proxy)
                .withEnv("KAFKA_NUM_PARTITIONS", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        c.addExposedPort(9094);
        return started(c, List.of(bootstrap + ":9092", proxied + ":9094"), "kafka://127.0.0.1:" + bootstrap, proxied);
    }

    private static TransportFixture started(GenericContainer<?> c, List<String> bindings, String url, int kafkaProxyListener) {
        c.setPortBindings(bindings);
        c.start();
        Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
        return new Fixture(c, url, kafkaProxyListener);
    }

    /** A {@link UrlFixture} on the container's URL whose broker restart is {@code docker restart}. */
    static final class Fixture extends UrlFixture implements AutoCloseable {
        private final GenericContainer<?> container;

        Fixture(GenericContainer<?> container, String url, int kafkaProxyListener) {
            super(url, null, false, kafkaProxyListener);
            this.container = container;
        }

        @Override public boolean canRestart() { return true; }

        @Override
        public void restartBroker() {
            container.getDockerClient().restartContainerCmd(container.getContainerId()).withTimeout(30).exec();
            io.courier.spi.TransportUrl.HostPort hp = io.courier.spi.TransportUrl.parse(url()).hosts().get(0);
            RepositoryBrokers.awaitListening(name(), hp.host(), hp.port());
        }

        @Override public void close() { container.stop(); }
    }

    private static String elasticMqConf(int port) {
        return """
                include classpath("application.conf")
                node-address { protocol = http, host = "127.0.0.1", port = %d, context-path = "" }
                rest-sqs { enabled = true, bind-port = 9324, bind-hostname = "0.0.0.0", sqs-limits = strict }
                rest-stats { enabled = false }
                generate-node-address = false
                aws { region = "elasticmq", accountId = "000000000000" }
                messages-storage {
                  enabled = true
                  uri = "jdbc:h2:/data/messages;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0"
                  prune-data-on-init = false
                }
                """.formatted(port);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

}
