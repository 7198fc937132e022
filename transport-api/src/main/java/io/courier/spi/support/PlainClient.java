package io.courier.spi.support;

import java.util.Map;
import java.util.Set;

/**
 * A plain client of a transport's broker: it sends to a group as an application that does not use Courier would,
 * with the broker's own client library (a Kafka producer, amqp-client, jnats, the AWS SDK, JDBC, an HTTP POST) and
 * no {@code courier-*} header, to where the transport's naming puts the group's queue. The conformance suite uses it
 * for C8 ("a message sent by a plain client of the broker is delivered like any other"), on every URL it is given
 * ({@code ./courier conformance URL}) and in each adapter's own fixture, so that one plain client per transport
 * serves both. Optional for an adapter; found with {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/io.courier.spi.support.PlainClient} entry beside the adapter's {@code TransportProvider}).
 */
public interface PlainClient {

    /** The URL schemes this client serves, e.g. {@code kafka}. */
    Set<String> schemes();

    /**
     * Sends one message to {@code any@group} on the broker of {@code url} and returns once the broker accepted it
     * (a confirm, {@code acks=all}, a PubAck, a 200, a commit); its own connection is opened and closed per call.
     * The group's queue must exist already (a subscription created it).
     */
    void send(String url, String group, byte[] payload, Map<String, String> headers) throws Exception;
}
