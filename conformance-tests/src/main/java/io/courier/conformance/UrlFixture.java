package io.courier.conformance;

import io.courier.Destination;
import io.courier.Message;
import io.courier.mem.MemProvider;
import io.courier.spi.TransportUrl;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A fixture for any transport URL, as {@code ./courier conformance URL} uses it: the proxy sits in front of the
 * URL's first host and port; a restart runs a shell command ({@code --restart-command}). For {@code mem://} the
 * plain client is the engine itself.
 */
public class UrlFixture implements TransportFixture {
    private final String url;
    private final String restartCommand;
    private final boolean inRepository;
    private final TransportUrl parsed;

    public UrlFixture(String url, String restartCommand, boolean inRepository) {
        this.url = url;
        this.restartCommand = restartCommand;
        this.inRepository = inRepository;
        this.parsed = TransportUrl.parse(url);
    }

    @Override public String name() { return parsed.scheme(); }

    @Override public String url() { return url; }

    @Override public boolean inRepository() { return inRepository; }

    @Override
    public InetSocketAddress brokerAddress() {
        if (parsed.hosts().isEmpty() || parsed.hosts().get(0).port() < 0) return null;
        return new InetSocketAddress(parsed.hosts().get(0).host(), parsed.hosts().get(0).port());
    }

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
        return parsed.scheme().equals("kafka")
                ? "Kafka clients connect to the broker's advertised listeners after bootstrap, around a proxy in front of the "
                  + "URL's address: cut tests need a fixture with a proxied listener (as transport-kafka's KafkaFixture and scripts/brokers have)"
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
        if (parsed.scheme().equals("http") || parsed.scheme().equals("https")) return hubPlainSender();
        if (!parsed.scheme().equals("mem")) return null;
        String engine = parsed.hosts().isEmpty() ? "default" : parsed.hosts().get(0).host();
        return (group, payload, headers) -> MemProvider.engine(engine).send(java.util.List.of(
                Message.to(Destination.any(group)).payload(payload).headers(headers).build()));
    }

    /** A hub's plain client: one JSON POST to {@code /v1/send} with the JDK's HttpClient, no Courier code or header. */
    private PlainSender hubPlainSender() {
        String base = parsed.scheme() + "://" + parsed.hosts().get(0) + parsed.path();
        String token = parsed.password() != null ? parsed.password() : parsed.params().get("token");
        return (group, payload, headers) -> {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            var m = json.createObjectNode().put("destination", "any@" + group).put("payload", java.util.Base64.getEncoder().encodeToString(payload));
            headers.forEach(m.putObject("headers")::put);
            var body = json.createObjectNode();
            body.putArray("messages").add(m);
            var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/send"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
            if (token != null) req.header("Authorization", "Bearer " + token);
            var r = java.net.http.HttpClient.newHttpClient().send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IllegalStateException("plain POST /v1/send answered " + r.statusCode() + ": " + r.body());
        };
    }
}
