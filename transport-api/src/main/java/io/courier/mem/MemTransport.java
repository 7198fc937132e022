package io.courier.mem;

import io.courier.Message;
import io.courier.spi.Capabilities;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code mem://[name]}: the in-process reference transport over a {@link MemEngine}. Transports opened with the
 * same name in one JVM share one engine, like clients of one broker. Sends are accepted synchronously (C1 holds
 * trivially: memory is the medium); nothing survives the JVM, so broker-restart and connection clauses are
 * declared unsupported.
 */
public final class MemTransport implements Transport {
    private final MemEngine engine;
    private final Capabilities capabilities;
    private final AtomicBoolean closed = new AtomicBoolean();

    public MemTransport(MemEngine engine, long maxPayloadBytes) {
        this.engine = engine;
        this.capabilities = new Capabilities(maxPayloadBytes, true, true, Duration.ofMillis(50), Map.of(
                "C12", "in-process transport: there is no connection to cut and no broker to restart"));
    }

    public MemEngine engine() { return engine; }

    @Override
    public Capabilities capabilities() { return capabilities; }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new io.courier.CourierException("mem transport is closed"));
        engine.send(batch);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public java.util.Optional<io.courier.spi.Admin> admin() { return java.util.Optional.of(new MemAdmin(engine)); }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) { return new MemReceiver(engine, spec); }

    /** Reachable until closed: the engine is in this process. */
    @Override
    public java.util.Optional<Boolean> reachable() { return java.util.Optional.of(!closed.get()); }

    @Override
    public void close() { closed.set(true); }

    /** A consumer of one group (and member) of a {@link MemEngine}, waiting in real time. */
    public static final class MemReceiver implements Receiver {
        private final MemEngine engine;
        private final ReceiverSpec spec;
        private final String owner = UUID.randomUUID().toString();
        private final AtomicBoolean closed = new AtomicBoolean();

        public MemReceiver(MemEngine engine, ReceiverSpec spec) {
            this.engine = engine;
            this.spec = spec;
            engine.register(spec.group(), spec.member(), owner);
        }

        @Override
        public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
            long deadline = System.currentTimeMillis() + wait.toMillis();
            while (!closed.get()) {
                List<MemEngine.Delivered> got = engine.poll(spec.group(), spec.member(), owner, max, spec.ackDeadline().toMillis());
                if (!got.isEmpty()) return got;
                long now = System.currentTimeMillis();
                if (now >= deadline) break;
                long next = engine.nextEventAt(spec.group());
                long until = Math.min(deadline, next == Long.MAX_VALUE ? deadline : Math.max(next, now + 1));
                engine.await(spec.group(), until - now);
            }
            return List.of();
        }

        @Override
        public void ack(List<? extends Received> deliveries) {
            for (Received r : deliveries) engine.ack((MemEngine.Delivered) r);
        }

        @Override
        public void nack(List<? extends Received> deliveries, Duration delay) {
            for (Received r : deliveries) engine.nack((MemEngine.Delivered) r, delay.toMillis());
        }

        @Override
        public void extendLease(List<? extends Received> deliveries, Duration extension) {
            for (Received r : deliveries) engine.extend((MemEngine.Delivered) r, extension.toMillis());
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) engine.unregister(spec.group(), spec.member(), owner);
        }
    }
}
