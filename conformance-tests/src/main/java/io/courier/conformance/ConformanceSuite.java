package io.courier.conformance;

/**
 * The conformance suite: one test (or more) per clause of the delivery contract C1–C19, run against a real
 * transport. Extend it and give a {@link TransportFixture}:
 * <pre>{@code
 * class KafkaConformanceTest extends ConformanceSuite {
 *     protected TransportFixture fixture() { return new KafkaFixture(); }
 * }
 * }</pre>
 * Each run writes {@code <transport>.json} and {@code .md} to {@code courier.conformance.dir}. Loss checks use
 * {@code courier.conformance.messages} messages (default 10,000) and count duplicates. Fault tests (broker restart,
 * connection cut) run when the fixture can; otherwise they are reported {@code not-run} (under {@code CI=true}, for
 * a transport of this repository, they fail instead) or {@code unsupported} when the transport declares the clause
 * unsupported in its capabilities. When the run ends, every group it created (and its dead letters) is deleted
 * through the transport's {@link io.courier.spi.Admin}, if it has one, so that a run leaves nothing on the broker.
 *
 * <p>The tests are in clause families, one file each, that this class gathers:
 * <ul>
 * <li>{@link DeliveryClauses}: C1 accept, C2 at-least-once, C5 ack;</li>
 * <li>{@link RoutingClauses}: C3 competing, C4 direct;</li>
 * <li>{@link RedeliveryClauses}: C6 redelivery, C7 dead-letter, C15 attempts, C16 long handlers;</li>
 * <li>{@link FidelityClauses}: C8 fidelity, C9 order, C10 delay, C17 isolation;</li>
 * <li>{@link FlowClauses}: C11 backpressure, C13 close;</li>
 * <li>{@link ErrorClauses}: C14 errors;</li>
 * <li>{@link ObservabilityClauses}: C19 trace context and metrics;</li>
 * <li>{@link FaultClauses}: C1, C2 and C12 across connection cuts and broker restarts;</li>
 * <li>{@link RecoveryClauses}: C18 recovery;</li>
 * </ul>
 * and {@link SuiteContext} holds what they share.
 */
public abstract class ConformanceSuite extends RecoveryClauses {
}
