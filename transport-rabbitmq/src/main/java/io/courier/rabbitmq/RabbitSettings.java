package io.courier.rabbitmq;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.recovery.RecordedConsumer;
import com.rabbitmq.client.impl.recovery.RecordedQueue;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import io.courier.InvalidUrlException;
import io.courier.spi.Parameter;
import io.courier.spi.Parameter.Kind;
import io.courier.spi.TransportUrl;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * The {@code amqp://user:password@host:port/vhost[?parameter=value…]} URL (and {@code amqps://} for TLS), its
 * declared parameters, and the amqp-client {@link ConnectionFactory} derived from them. No path, or {@code /}, means
 * the default vhost {@code /} (also written {@code /%2F}); no user means {@code guest}.
 */
final class RabbitSettings {
    /** RabbitMQ 3.10's default {@code max_message_size}: 128 MiB. */
    static final long BROKER_DEFAULT_MAX_MESSAGE = 128L * 1024 * 1024;

    static final Parameter CONNECT_TIMEOUT = Parameter.of("connect-timeout", Kind.DURATION, "10s",
            "how long opening the connection (TCP, TLS, AMQP handshake) may take before TransportUnavailableException");
    static final Parameter SEND_TIMEOUT = Parameter.of("send-timeout", Kind.DURATION, "30s",
            "longest a publish may wait for its publisher confirm before its send fails with TransportUnavailableException");
    static final Parameter HEARTBEAT = Parameter.of("heartbeat", Kind.DURATION, "10s",
            "AMQP heartbeat: a silent connection is declared dead after about twice this");
    static final Parameter RECOVERY_INTERVAL = Parameter.of("recovery-interval", Kind.DURATION, "1s",
            "pause between automatic connection recovery attempts");
    static final Parameter MAX_MESSAGE_SIZE = new Parameter("max-message-size", Kind.LONG, Long.toString(16L * 1024 * 1024),
            "largest message Courier sends, in bytes (payload plus headers); at most the broker's max_message_size (128 MiB by default in 3.10)",
            v -> Long.parseLong(v) >= 1024 && Long.parseLong(v) <= BROKER_DEFAULT_MAX_MESSAGE);
    static final Parameter ORDERING_QUEUES = new Parameter("ordering-queues", Kind.INT, "1",
            "single-active-consumer queues per group that carry messages with an ordering key (hash of the key); 0 declares ordering (C9) unsupported",
            v -> Integer.parseInt(v) >= 0 && Integer.parseInt(v) <= 64);
    static final Parameter STICKY_FALLBACK = Parameter.of("sticky-fallback", Kind.DURATION, "5s",
            "an any@group/member message that its member (not subscribed, or busy) has not taken within this time goes to the whole group");
    static final Parameter QUEUE_PREFIX = new Parameter("queue-prefix", Kind.STRING, "courier.",
            "prefix of every queue and exchange Courier declares", v -> v.matches("[A-Za-z0-9._-]{1,50}"));
    static final Parameter CONNECTION_NAME = new Parameter("connection-name", Kind.STRING, "courier",
            "client-provided connection name shown in the management UI", v -> v.matches("[A-Za-z0-9._ -]{1,100}"));

    static final List<Parameter> ALL = List.of(CONNECT_TIMEOUT, SEND_TIMEOUT, HEARTBEAT, RECOVERY_INTERVAL,
            MAX_MESSAGE_SIZE, ORDERING_QUEUES, STICKY_FALLBACK, QUEUE_PREFIX, CONNECTION_NAME);

    final TransportUrl url;
    final String user;
    final String vhost;
    final boolean tls;
    final List<Address> addresses;
    final Duration connectTimeout;
    final Duration sendTimeout;
    final long maxMessageSize;
    final int orderingQueues;
    final Duration stickyFallback;
    final String connectionName;
    final Names names;

    RabbitSettings(TransportUrl url) {
        if (url.hosts().isEmpty()) {
            throw new InvalidUrlException(url.scheme() + ":// needs a host: write " + url.scheme() + "://user:password@host:5672/vhost");
        }
        if (url.user() != null && url.password() == null) {
            throw new InvalidUrlException(url.scheme() + ":// URL names user '" + url.user() + "' without a password: write "
                    + url.scheme() + "://user:password@host:5672/vhost");
        }
        url.validate(ALL); // idempotent; also when the provider is used without the facade
        this.url = url;
        this.tls = url.scheme().equals("amqps");
        this.user = url.user() == null ? ConnectionFactory.DEFAULT_USER : url.user();
        this.vhost = vhostOf(url.path());
        int defaultPort = tls ? ConnectionFactory.DEFAULT_AMQP_OVER_SSL_PORT : ConnectionFactory.DEFAULT_AMQP_PORT;
        this.addresses = url.hosts().stream().map(h -> new Address(h.host(), h.port() < 0 ? defaultPort : h.port())).toList();
        this.connectTimeout = url.durationParam(CONNECT_TIMEOUT.name());
        this.sendTimeout = url.durationParam(SEND_TIMEOUT.name());
        this.maxMessageSize = url.longParam(MAX_MESSAGE_SIZE.name());
        this.orderingQueues = url.intParam(ORDERING_QUEUES.name());
        this.connectionName = url.param(CONNECTION_NAME.name());
        this.stickyFallback = url.durationParam(STICKY_FALLBACK.name());
        if (stickyFallback.toMillis() < 1) throw new InvalidUrlException("sticky-fallback must be at least 1ms, got " + stickyFallback);
        this.names = new Names(url.param(QUEUE_PREFIX.name()));
        if (sendTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new InvalidUrlException("send-timeout must be at least 1s, got " + sendTimeout);
        }
    }

    /** {@code ""}, {@code "/"} and {@code "/%2F"} are the default vhost {@code /}; otherwise the decoded path. */
    static String vhostOf(String path) {
        if (path.isEmpty() || path.equals("/")) return "/";
        String raw = path.substring(1);
        if (raw.contains("/")) {
            throw new InvalidUrlException("the vhost in an amqp:// URL is one path segment, got '" + path
                    + "': encode a '/' in a vhost name as %2F (the default vhost is /%2F or no path)");
        }
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Where the transport connects, for messages: user, hosts and vhost, never the password. */
    String where() {
        return "RabbitMQ at " + url.hostList(tls ? 5671 : 5672) + " (vhost '" + vhost + "', user '" + user + "')";
    }

    /** A connection factory with automatic connection and topology recovery (C12). */
    ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setUsername(user);
        f.setPassword(url.password() == null ? ConnectionFactory.DEFAULT_PASS : url.password());
        f.setVirtualHost(vhost);
        f.setConnectionTimeout((int) connectTimeout.toMillis());
        f.setHandshakeTimeout((int) Math.min(Integer.MAX_VALUE, 2 * connectTimeout.toMillis())); // amqp-client waits half of it for connection.start: a busy broker may be slow
        f.setShutdownTimeout(5_000);
        f.setRequestedHeartbeat((int) Math.max(1, url.durationParam(HEARTBEAT.name()).toSeconds()));
        f.setAutomaticRecoveryEnabled(true);
        f.setTopologyRecoveryEnabled(true);
        // consumers are restarted by their receiver (ReceiverChannel), which also covers a broker cancel and a channel
        // error; registry queues are classic queues on one node, not worth re-declaring (a 404 from a node that is down
        // would close the recovery channel and fail the recovery of the declarations after it)
        f.setTopologyRecoveryFilter(new TopologyRecoveryFilter() {
            @Override public boolean filterQueue(RecordedQueue q) { return !names.isRegistry(q.getName()); }
            @Override public boolean filterConsumer(RecordedConsumer c) { return false; }
        });
        f.setExceptionHandler(new ConnectionLog.Handler());
        f.setNetworkRecoveryInterval(url.durationParam(RECOVERY_INTERVAL.name()).toMillis());
        f.setChannelRpcTimeout((int) Math.max(10_000, connectTimeout.toMillis()));
        f.setMaxInboundMessageBodySize((int) Math.min(Integer.MAX_VALUE, BROKER_DEFAULT_MAX_MESSAGE + 1024 * 1024));
        if (tls) {
            try {
                f.useSslProtocol(SSLContext.getDefault());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context in this JVM", e);
            }
            f.enableHostnameVerification();
        }
        return f;
    }
}
