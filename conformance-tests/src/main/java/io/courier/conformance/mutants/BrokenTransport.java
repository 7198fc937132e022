package io.courier.conformance.mutants;

import io.courier.Message;
import io.courier.spi.Capabilities;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A deliberately broken transport: {@code mem://} with one fault, used to prove that the conformance suite can fail.
 * Each subclass overrides one hook; everything else forwards.
 */
public abstract class BrokenTransport implements Transport {
    protected final Transport inner;

    protected BrokenTransport(Transport inner) { this.inner = inner; }

    /** The message actually sent, or null to drop it while reporting success. */
    protected Message onSend(Message m) { return m; }

    /** What {@code receive} returns, given what the inner receiver returned. */
    protected List<Received> onReceive(List<Received> got, Receiver inner) { return got; }

    protected int fetchSize(int max) { return max; }

    /** The receiver actually opened for {@code spec}. */
    protected ReceiverSpec onOpen(ReceiverSpec spec) { return spec; }

    protected void onAck(List<Received> ds, Receiver inner) { inner.ack(ds); }

    protected void onNack(List<Received> ds, Duration delay, Receiver inner) { inner.nack(ds, delay); }

    protected void onExtend(List<Received> ds, Duration d, Receiver inner) { inner.extendLease(ds, d); }

    protected void onClose(Set<Received> unsettled, Receiver inner) { inner.close(); }

    @Override public Capabilities capabilities() { return inner.capabilities(); }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        List<Message> out = batch.stream().map(this::onSend).filter(Objects::nonNull).toList();
        return out.isEmpty() ? CompletableFuture.completedFuture(null) : inner.send(out);
    }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        Receiver r = inner.openReceiver(onOpen(spec));
        Set<Received> unsettled = ConcurrentHashMap.newKeySet();
        return new Receiver() {
            @Override
            public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
                List<Received> got = onReceive(new ArrayList<>(r.receive(fetchSize(max), wait)), r);
                unsettled.addAll(got);
                return got;
            }

            @Override public void ack(List<? extends Received> ds) { unsettled.removeAll(ds); onAck(unwrap(ds), r); }

            @Override public void nack(List<? extends Received> ds, Duration delay) { unsettled.removeAll(ds); onNack(unwrap(ds), delay, r); }

            @Override public void extendLease(List<? extends Received> ds, Duration d) { onExtend(unwrap(ds), d, r); }

            @Override public void close() { onClose(unsettled, r); }
        };
    }

    /** Unwraps deliveries a subclass wrapped (see {@link Rewrapped}). */
    static List<Received> unwrap(List<? extends Received> ds) {
        return ds.stream().map(d -> d instanceof Rewrapped w ? w.inner() : (Received) d).toList();
    }

    /** A delivery with a different attempt number or message, wrapping the real one (settled as the real one). */
    record Rewrapped(Received inner, int attempt, Message message) implements Received {
        /** The real delivery as attempt {@code attempt}. */
        Rewrapped(Received inner, int attempt) { this(inner, attempt, inner.message()); }

        /** The real delivery under a fresh message id. */
        static Rewrapped renamed(Received inner) {
            return new Rewrapped(inner, inner.attempt(), inner.message().toBuilder().id(java.util.UUID.randomUUID().toString()).build());
        }
    }

    @Override public void close() { inner.close(); }
}
