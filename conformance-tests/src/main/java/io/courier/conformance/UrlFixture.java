package io.courier.conformance;

import io.courier.Destination;
import io.courier.Message;
import io.courier.mem.MemProvider;
import io.courier.spi.TransportUrl;
import io.courier.spi.support.PlainClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

/**
 * A fixture for any transport URL, as {@code ./courier conformance URL} uses it: the proxy sits in front of the
 * URL's first host and port (for Kafka, in front of a second listener of the broker that advertises the proxy's
 * port: {@link KafkaProxiedListener}); a restart runs a shell command ({@code --restart-command}). The plain client
 * of C8 is the transport's {@link PlainClient} (found with {@link ServiceLoader}: every transport of this repository
 * has one); for {@code mem://} it is the engine itself.
 */
public class UrlFixture implements TransportFixture {
    private final String url;
    private final String restartCommand;
    private final boolean inRepository;
    private final TransportUrl parsed;
    private final KafkaProxiedListener kafkaListener;

    public UrlFixture(String url, String restartCommand, boolean inRepository) {
        this(url, restartCommand, inRepository, 0);
    }

    /**
     * {@code kafkaProxyListener}: for a {@code kafka://} URL, the port (on the URL's first host) of the broker's
     * listener that advertises 127.0.0.1 and another port, where the cut tests' proxy then listens; 0 for none.
     */
    public UrlFixture(String url, String restartCommand, boolean inRepository, int kafkaProxyListener) {
        this.url = url;
        this.restartCommand = restartCommand;
        this.inRepository = inRepository;
        this.parsed = TransportUrl.parse(url);
        if (kafkaProxyListener != 0 && !parsed.scheme().equals("kafka")) {
            throw new IllegalArgumentException("--kafka-proxy-listener is for kafka:// URLs; " + parsed.scheme() + ":// is proxied in front of the URL's own port");
        }
        if (kafkaProxyListener < 0 || kafkaProxyListener > 65535) throw new IllegalArgumentException("--kafka-proxy-listener must be a port (1-65535), got " + kafkaProxyListener);
        this.kafkaListener = kafkaProxyListener == 0 ? null : KafkaProxiedListener.discover(parsed.hosts().get(0).host(), kafkaProxyListener);
    }

    @Override public String name() { return parsed.scheme(); }

    @Override public String url() { return url; }

    @Override public boolean inRepository() { return inRepository; }

    @Override
    public InetSocketAddress brokerAddress() {
        if (kafkaListener != null) return kafkaListener.listener();
        if (parsed.hosts().isEmpty() || parsed.hosts().get(0).port() < 0) return null;
        return new InetSocketAddress(parsed.hosts().get(0).host(), parsed.hosts().get(0).port());
    }

    /** For Kafka with a proxied listener: the port that listener advertises, where the proxy must listen. */
    @Override
    public int proxyPort() { return kafkaListener != null ? kafkaListener.advertised().getPort() : 0; }

    @Override
    public String urlThrough(InetSocketAddress proxy) {
        if (brokerAddress() == null || parsed.hosts().size() != 1 || noProxyReason() != null) return null;
        TransportUrl.HostPort hp = parsed.hosts().get(0);
        return url.replaceFirst(java.util.regex.Pattern.quote(hp.host() + ":" + hp.port()), "127.0.0.1:" + proxy.getPort());
    }

    /**
     * A Kafka client asks the bootstrap address for the broker's advertised listeners and then connects to those: a
     * proxy in front of the URL's address would carry the bootstrap only, and cutting it would cut nothing.
     */
    @Override
    public String noProxyReason() {
        return parsed.scheme().equals("kafka") && kafkaListener == null
                ? "Kafka clients connect to the broker's advertised listeners after bootstrap, around a proxy in front of the "
                  + "URL's address: give --kafka-proxy-listener PORT, a second listener of the broker advertised as 127.0.0.1:<another port> "
                  + "(scripts/brokers' Kafka has PROXIED 9094, advertised as 19094)"
                : null;
    }

    @Override public boolean canRestart() { return restartCommand != null && !restartCommand.isBlank(); }

    @Override
    public void restartBroker() throws IOException, InterruptedException {
        String broker = BrokerLock.brokerOf(parsed.scheme());
        if (broker == null) {
            runRestartCommand();
            return;
        }
        try (BrokerLock ignored = BrokerLock.exclusive(broker)) { // not while a test of another lane uses the broker
            runRestartCommand();
        }
    }

    private void runRestartCommand() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-c", restartCommand).inheritIO().start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("restart command did not finish within 5 minutes: " + restartCommand);
        }
        if (p.exitValue() != 0) throw new IllegalStateException("restart command failed with exit code " + p.exitValue() + ": " + restartCommand);
    }

    @Override
    public PlainSender plainSender() {
        if (parsed.scheme().equals("mem")) {
            String engine = parsed.hosts().isEmpty() ? "default" : parsed.hosts().get(0).host();
            return (group, payload, headers) -> MemProvider.engine(engine).send(java.util.List.of(
                    Message.to(Destination.any(group)).payload(payload).headers(headers).build()));
        }
        return plainSenderFor(url);
    }

    /**
     * The plain sender of {@code url}'s transport: its {@link PlainClient} on the class path, or null when it has
     * none (C8's plain-client test is then {@code not-run}).
     */
    public static PlainSender plainSenderFor(String url) {
        String scheme = TransportUrl.parse(url).scheme();
        for (PlainClient c : ServiceLoader.load(PlainClient.class)) {
            if (c.schemes().contains(scheme)) return (group, payload, headers) -> c.send(url, group, payload, headers);
        }
        return null;
    }
}
