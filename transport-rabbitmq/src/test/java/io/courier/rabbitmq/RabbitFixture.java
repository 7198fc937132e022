package io.courier.rabbitmq;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.courier.conformance.RepositoryBrokers;
import io.courier.conformance.TransportFixture;
import io.courier.conformance.UrlFixture;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The conformance fixture of {@code amqp://}: the RabbitMQ broker started by {@code scripts/brokers} on
 * 127.0.0.1:5672 (guest/guest, vhost /). Connection cuts go through the suite's TCP proxy in front of 5672.
 */
public final class RabbitFixture implements TransportFixture {
    static final String HOST = "127.0.0.1";
    static final int PORT = 5672;

    @Override public String name() { return "rabbitmq"; }

    @Override public String url() { return "amqp://guest:guest@" + HOST + ":" + PORT + "/%2F"; }

    @Override public InetSocketAddress brokerAddress() { return new InetSocketAddress(HOST, PORT); }

    @Override public String urlThrough(InetSocketAddress proxy) { return "amqp://guest:guest@127.0.0.1:" + proxy.getPort() + "/%2F"; }

    @Override public boolean canRestart() { return RepositoryBrokers.canRestart(); }

    @Override public boolean inRepository() { return true; }

    @Override
    public void restartBroker() throws Exception {
        RepositoryBrokers.restart("rabbitmq", Duration.ofSeconds(180));
        requireBroker();
    }

    /** Fails (never skips) when nothing listens on 127.0.0.1:5672, saying how to start RabbitMQ. */
    static void requireBroker() { RepositoryBrokers.awaitListening("rabbitmq", HOST, PORT); }

    /** A plain amqp-client connection, as any RabbitMQ application would open. */
    static Connection plainConnection() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(HOST);
        f.setPort(PORT);
        return f.newConnection("courier-test-plain");
    }

    /** The shared plain amqp-client publish of {@link RabbitPlainClient}, as {@code ./courier conformance} uses it. */
    @Override
    public PlainSender plainSender() { return UrlFixture.plainSenderFor(url()); }
}
