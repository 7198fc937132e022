package io.courier.sqs;

import io.courier.conformance.RepositoryBrokers;
import io.courier.conformance.TransportFixture;
import io.courier.conformance.UrlFixture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The conformance fixture of {@code sqs://}: ElasticMQ (the SQS API, messages persisted) that {@code scripts/brokers}
 * runs on 127.0.0.1:9324; connection cuts through the suite's TCP proxy in front of it; restarts with
 * {@code scripts/brokers restart elasticmq}; a plain sender that is a bare AWS SDK {@code SendMessage}.
 */
public final class SqsFixture implements TransportFixture {
    static final String HOST = "127.0.0.1";
    static final int PORT = 9324;

    @Override public String name() { return "sqs"; }

    @Override public String url() { return "sqs://" + HOST + ":" + PORT + "?region=elasticmq"; }

    @Override public InetSocketAddress brokerAddress() { return new InetSocketAddress(HOST, PORT); }

    @Override public String urlThrough(InetSocketAddress proxy) { return "sqs://127.0.0.1:" + proxy.getPort() + "?region=elasticmq"; }

    @Override public boolean canRestart() { return RepositoryBrokers.canRestart(); }

    @Override public boolean inRepository() { return true; }

    @Override
    public void restartBroker() throws Exception {
        RepositoryBrokers.restart("elasticmq", Duration.ofSeconds(120));
        requireBroker();
    }

    /** Fails (never skips) when nothing listens on 127.0.0.1:9324, saying how to start ElasticMQ. */
    static void requireBroker() { RepositoryBrokers.awaitListening("elasticmq", HOST, PORT); }

    /** A plain SDK client of the local endpoint, as any SQS application would build it. */
    static SqsClient plainClient() {
        return SqsClient.builder().endpointOverride(URI.create("http://" + HOST + ":" + PORT)).region(Region.of("elasticmq"))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    /** The shared plain SDK {@code SendMessage} of {@link SqsPlainClient}, as {@code ./courier conformance} uses it. */
    @Override
    public PlainSender plainSender() { return UrlFixture.plainSenderFor(url()); }
}
