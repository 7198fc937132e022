package io.courier.spi;

import java.util.List;
import java.util.Set;

/**
 * Entry point of an adapter, found with {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/io.courier.spi.TransportProvider}). Like a JDBC {@code Driver}: the facade
 * ({@code Courier.connect(url)}) picks the provider whose {@link #schemes()} contain the URL's scheme.
 *
 * <p>An implementation must:
 * <ul>
 *   <li>declare every query parameter it accepts in {@link #parameters()}: the facade rejects any other before
 *       {@link #open} is called, naming the parameter and listing the valid ones (clause C14);</li>
 *   <li>fail {@link #open} with a {@link io.courier.CourierException} subtype that names the problem and the fix
 *       (broker down: {@link io.courier.TransportUnavailableException} within a bounded time; bad credentials:
 *       {@link io.courier.AuthenticationException}), never with a message that contains the URL's password.</li>
 * </ul>
 */
public interface TransportProvider {

    /** URL schemes handled, lower case, e.g. {@code kafka}; or {@code amqp} and {@code amqps}. */
    Set<String> schemes();

    /** The Maven coordinates users add to get this provider, e.g. {@code io.courier:transport-kafka}. */
    String artifact();

    /** Every query parameter this provider accepts, with its documentation and validation. */
    List<Parameter> parameters();

    /** Opens a transport. The URL's parameters have been validated against {@link #parameters()}. */
    Transport open(TransportUrl url);
}
