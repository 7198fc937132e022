package io.courier.sqs;

import io.courier.InvalidUrlException;
import io.courier.spi.Parameter;
import io.courier.spi.Parameter.Kind;
import io.courier.spi.TransportUrl;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The {@code sqs://} URL and its parameters, declared once with defaults and documentation, and the SQS client built
 * from them. {@code sqs://aws} (or no host) is Amazon SQS itself with the default credentials chain; any other host
 * is an endpoint override ({@code http://host:port}, {@code https} with {@code tls=true}), e.g. ElasticMQ. A URL
 * user and password are the access key id and secret key; the secret never appears in messages or logs.
 */
final class SqsSettings {
    static final Parameter REGION = Parameter.of("region", Kind.STRING, "us-east-1",
            "AWS region (any name for a local endpoint such as ElasticMQ's 'elasticmq')");
    static final Parameter TLS = Parameter.of("tls", Kind.BOOLEAN, "false", "https to an endpoint override");
    static final Parameter QUEUE_PREFIX = new Parameter("queue-prefix", Kind.STRING, "courier-",
            "prefix of every queue Courier creates and uses", v -> v.matches("[A-Za-z0-9_-]{0,40}"));
    static final Parameter CONNECT_TIMEOUT = Parameter.of("connect-timeout", Kind.DURATION, "10s",
            "TCP connect timeout, and the longest one API call may take (long polls excepted)");
    static final Parameter SEND_TIMEOUT = Parameter.of("send-timeout", Kind.DURATION, "30s",
            "how long a send is retried while SQS is unreachable before it fails with TransportUnavailableException");
    static final Parameter SENDERS = new Parameter("senders", Kind.INT, "4",
            "SendMessageBatch calls in flight per queue; concurrent sends are packed into them, 10 messages a call",
            v -> Integer.parseInt(v) >= 1 && Integer.parseInt(v) <= 64);
    static final List<Parameter> ALL = List.of(REGION, TLS, QUEUE_PREFIX, CONNECT_TIMEOUT, SEND_TIMEOUT, SENDERS);

    /** The endpoint override, or null for Amazon SQS. */
    final URI endpoint;
    final String region;
    final String accessKey;
    private final String secretKey;
    final String queuePrefix;
    final Duration connectTimeout;
    final Duration sendTimeout;
    final int senders;

    SqsSettings(TransportUrl url) {
        if (url.hosts().size() > 1) throw new InvalidUrlException("sqs:// takes one endpoint, got " + url.hosts().size() + ": " + url.redacted());
        TransportUrl.HostPort hp = url.hosts().isEmpty() ? null : url.hosts().get(0);
        boolean aws = hp == null || hp.host().isEmpty() || hp.host().equals("aws");
        boolean tls = url.boolParam(TLS.name());
        this.endpoint = aws ? null : URI.create((tls ? "https://" : "http://") + hp.host() + (hp.port() < 0 ? "" : ":" + hp.port()));
        this.region = url.param(REGION.name());
        this.accessKey = url.user();
        this.secretKey = url.password();
        if ((accessKey == null) != (secretKey == null)) {
            throw new InvalidUrlException("sqs:// needs both an access key and a secret key (sqs://KEY:SECRET@host), or neither: " + url.redacted());
        }
        this.queuePrefix = url.param(QUEUE_PREFIX.name());
        this.connectTimeout = url.durationParam(CONNECT_TIMEOUT.name());
        this.sendTimeout = url.durationParam(SEND_TIMEOUT.name());
        this.senders = url.intParam(SENDERS.name());
    }

    /** Where, for messages: the endpoint or region, never a secret. */
    String where() {
        return endpoint != null ? "SQS at " + endpoint.getAuthority() : "Amazon SQS in " + region;
    }

    /** How to make it reachable, for messages. */
    String hint() {
        return endpoint != null && endpoint.getHost().equals("127.0.0.1") ? "is it running?"
                : "is the endpoint right and reachable?";
    }

    SqsClient client() {
        AwsCredentialsProvider credentials = accessKey != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey))
                : endpoint != null ? StaticCredentialsProvider.create(AwsBasicCredentials.create("courier", "local")) // local endpoints do not check
                : DefaultCredentialsProvider.builder().build();
        var builder = SqsClient.builder()
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(connectTimeout)
                        .socketTimeout(Duration.ofSeconds(30)) // above the 20 s long poll
                        .build())
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(connectTimeout).apiCallTimeout(connectTimeout.multipliedBy(3)));
        if (endpoint != null) builder.endpointOverride(endpoint);
        return builder.build();
    }
}
