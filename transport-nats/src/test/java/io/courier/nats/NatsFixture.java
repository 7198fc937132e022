package io.courier.nats;

import io.courier.conformance.RepositoryBrokers;
import io.courier.conformance.UrlFixture;

/**
 * The conformance fixture of {@code nats://}: the nats-server with JetStream that {@code scripts/brokers} runs on
 * 127.0.0.1:4222. It is the suite's {@link UrlFixture} for that URL (TCP proxy in front of the server for cuts; the
 * client ignores servers the server advertises, so a proxied client stays behind the proxy), restarting with
 * {@code scripts/brokers restart nats}, its plain sender ({@link NatsPlainClient}: a bare jnats JetStream publish without Courier headers) inherited.
 */
final class NatsFixture extends UrlFixture {
    static final String HOST = "127.0.0.1";
    static final int PORT = 4222;

    NatsFixture() {
        super("nats://" + HOST + ":" + PORT, restartCommand(), true);
    }

    /** {@code scripts/brokers restart nats} of this repository (the module's parent), or of {@code COURIER_BROKERS_SCRIPT}. */
    private static String restartCommand() {
        return "'" + RepositoryBrokers.script() + "' restart nats";
    }

    @Override
    public void restartBroker() throws java.io.IOException, InterruptedException {
        super.restartBroker();
        requireBroker();
    }

    /** Fails (never skips) when nothing answers on 127.0.0.1:4222 within 30 s, saying how to start NATS. */
    static void requireBroker() { RepositoryBrokers.awaitListening("nats", HOST, PORT); }
}
