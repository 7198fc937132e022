package io.courier.conformance;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * What the conformance suite needs to know about a transport under test: a URL, and optionally the means to break
 * things (restart the broker, cut connections through the suite's {@link TcpProxy}) and to send as a plain client
 * of the broker. Implement it in a few lines per transport; everything else is the suite's.
 */
public interface TransportFixture {

    /** Short name used in reports, e.g. {@code kafka}. */
    String name();

    /** The URL the suite connects to. */
    String url();

    /** Opens a Courier on a URL of this transport; override only to wrap the transport (the suite's mutants do). */
    default io.courier.Courier connect(String url) { return io.courier.Courier.connect(url); }

    /**
     * The broker's own address, for the suite's TCP proxy (connection-cut clauses); null when the transport has no
     * socket to cut.
     */
    default InetSocketAddress brokerAddress() { return null; }

    /** The port the proxy must listen on (0: any free port). Kafka needs a fixed one, advertised by the broker. */
    default int proxyPort() { return 0; }

    /** The URL that reaches the broker through a proxy listening on {@code proxy}; null when unsupported. */
    default String urlThrough(InetSocketAddress proxy) { return null; }

    /** Why {@link #urlThrough} gives no URL, for the report (the cut tests are then {@code not-run}); null: no reason known. */
    default String noProxyReason() { return null; }

    /** True when {@link #restartBroker()} works. */
    default boolean canRestart() { return false; }

    /** Stops and starts the broker, returning once it accepts connections again. */
    default void restartBroker() throws Exception { throw new UnsupportedOperationException("restart not supported by " + name()); }

    /**
     * Sends a message to {@code any@group} with the broker's plain client, without any Courier header (C8); null
     * when not supported.
     */
    default PlainSender plainSender() { return null; }

    /**
     * True for the transports of this repository: under {@code CI=true}, a fault clause this fixture cannot run is
     * a failure, not {@code not-run}.
     */
    default boolean inRepository() { return false; }

    /** Sends as a plain client of the broker would. */
    @FunctionalInterface
    interface PlainSender {
        void send(String group, byte[] payload, Map<String, String> headers) throws Exception;
    }
}
