package io.courier.sim;

import io.courier.CourierException;
import io.courier.Message;
import io.courier.mem.MemEngine;
import io.courier.mem.MemTransport.MemReceiver;
import io.courier.sim.Trace.Kind;
import io.courier.spi.Capabilities;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sim://}: a {@link MemEngine} behind the SPI, with faults injected where a real broker would cause them, so
 * that the shared runtime (retries, dead-letters, leases) runs against adverse delivery:
 * <ul>
 *   <li>{@code dup}: {@link Receiver#receive} returns a delivery a second time (same lease);</li>
 *   <li>{@code reorder}: a batch from {@code receive} is shuffled (the engine leases one delivery per ordering key
 *       at a time, so order within a key holds, C9);</li>
 *   <li>{@code delay}: {@code receive} holds a batch back for the drawn delay (bounded by its wait);</li>
 *   <li>{@code drop-ack}: an ack is lost, so the message is redelivered after the ack deadline;</li>
 *   <li>{@code disconnect}: at a {@code receive}, the receiver's connection drops: its leases are released and a
 *       new consumer takes its place (C6);</li>
 *   <li>{@code crash}: at an ack, the consumer "crashes" after handling and before acking: the acks are lost and
 *       every lease it holds is released.</li>
 * </ul>
 * Every decision is drawn from one generator seeded with {@code seed}; but the runtime above runs handlers on
 * virtual threads on the wall clock, so which call draws which number depends on thread interleaving: a seed
 * reproduces the fault <em>rates</em> and the transport's sequence of decisions, not a run bit for bit. Time is the
 * system clock (the runtime's lease keeper and poll waits are wall-clock). Faults never lose an accepted message.
 */
public final class SimTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(SimTransport.class);

    private final MemEngine engine;
    private final Faults faults;
    private final Capabilities capabilities;
    private final SplittableRandom random;
    private final Trace trace;
    private final long start = System.currentTimeMillis();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger consumers = new AtomicInteger();

    SimTransport(MemEngine engine, Faults faults, long maxPayloadBytes, boolean traced) {
        this.engine = engine;
        this.faults = faults;
        this.random = new SplittableRandom(faults.seed());
        this.trace = traced ? new Trace() : null;
        this.capabilities = new Capabilities(maxPayloadBytes, true, true, Duration.ofMillis(50).plus(faults.delayMax()), Map.of(
                "C12", "in-process simulation: there is no broker to restart or socket to cut (connection loss is the disconnect fault)"));
        log.info("sim transport opened faults={}", faults);
    }

    /** The faults and seed of this transport. */
    public Faults faults() { return faults; }

    /** The events of this transport (sends, deliveries, settlements, faults), or null unless opened with {@code trace=true}. */
    public Trace trace() { return trace; }

    /** The engine underneath. */
    public MemEngine engine() { return engine; }

    @Override
    public Capabilities capabilities() { return capabilities; }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new CourierException("sim transport is closed: connect again to send"));
        engine.send(batch);
        for (Message m : batch) record(Kind.SEND, "-", m.id(), 0, m.destination().toString());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) { return new SimReceiver(spec); }

    @Override
    public void close() { closed.set(true); }

    private boolean roll(double p) {
        if (p <= 0) return false;
        synchronized (random) { return random.nextDouble() < p; }
    }

    private long draw(long lo, long hi) {
        synchronized (random) { return random.nextLong(lo, hi + 1); }
    }

    private void record(Kind kind, String member, String id, int attempt, String detail) {
        if (trace != null) trace.add(System.currentTimeMillis() - start, kind, member, id, attempt, detail);
    }

    /** A receiver that misbehaves as the faults say, over a {@link MemReceiver} it replaces on disconnect or crash. */
    private final class SimReceiver implements Receiver {
        private final ReceiverSpec spec;
        private final String name;
        private final List<Received> again = new ArrayList<>();
        private volatile MemReceiver current;
        private volatile boolean closed;

        SimReceiver(ReceiverSpec spec) {
            this.spec = spec;
            this.name = (spec.member() == null ? spec.group() : spec.member()) + "#" + consumers.incrementAndGet();
            this.current = new MemReceiver(engine, spec);
        }

        @Override
        public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
            if (closed) return List.of();
            if (roll(faults.disconnect())) {
                record(Kind.FAULT, name, "-", 0, "disconnect leases-released");
                log.info("sim fault: connection of consumer group={} member={} dropped, leases released", spec.group(), spec.member());
                replaceConsumer();
            }
            List<Received> out = new ArrayList<>();
            synchronized (again) {
                while (!again.isEmpty() && out.size() < max) out.add(again.remove(0));
            }
            if (out.size() < max) out.addAll(current.receive(max - out.size(), out.isEmpty() ? wait : Duration.ZERO));
            if (out.isEmpty()) return out;
            if (!faults.delayMax().isZero()) {
                long d = draw(faults.delayMin().toMillis(), faults.delayMax().toMillis());
                Thread.sleep(Math.min(d, wait.toMillis()));
            }
            if (out.size() > 1 && roll(faults.reorder())) {
                record(Kind.FAULT, name, out.get(0).message().id(), 0, "reorder batch-of " + out.size());
                synchronized (random) { java.util.Collections.shuffle(out, new java.util.Random(random.nextLong())); }
            }
            for (Received r : List.copyOf(out)) {
                record(r.attempt() > 1 ? Kind.REDELIVER : Kind.DELIVER, name, r.message().id(), r.attempt(), null);
                if (roll(faults.duplicate())) {
                    record(Kind.FAULT, name, r.message().id(), r.attempt(), "dup");
                    // a duplicate never exceeds what the runtime asked for (C11): it comes with a later receive
                    synchronized (again) { again.add(r); }
                }
            }
            return out;
        }

        @Override
        public void ack(List<? extends Received> deliveries) {
            if (roll(faults.crash())) {
                record(Kind.FAULT, name, "-", 0, "crash after-handling before-ack lost-acks=" + deliveries.size());
                log.info("sim fault: consumer group={} member={} crashed before acking {} deliveries; leases released",
                        spec.group(), spec.member(), deliveries.size());
                replaceConsumer();
                return;
            }
            for (Received r : deliveries) {
                if (roll(faults.dropAck())) {
                    record(Kind.FAULT, name, r.message().id(), r.attempt(), "drop-ack");
                    continue;
                }
                engine.ack((MemEngine.Delivered) r);
                record(Kind.ACK, name, r.message().id(), r.attempt(), null);
            }
        }

        @Override
        public void nack(List<? extends Received> deliveries, Duration delay) {
            for (Received r : deliveries) {
                engine.nack((MemEngine.Delivered) r, delay.toMillis());
                record(Kind.NACK, name, r.message().id(), r.attempt(), "delay=" + delay.toMillis() + "ms");
            }
        }

        @Override
        public void extendLease(List<? extends Received> deliveries, Duration extension) {
            for (Received r : deliveries) engine.extend((MemEngine.Delivered) r, extension.toMillis());
        }

        /** The old consumer goes away (its leases are released at once); a new one takes its place. */
        private void replaceConsumer() {
            MemReceiver old = current;
            current = new MemReceiver(engine, spec);
            synchronized (again) { again.clear(); }
            old.close();
        }

        @Override
        public void close() {
            closed = true;
            current.close();
        }
    }
}
