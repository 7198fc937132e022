package io.courier.conformance;

import io.courier.Message;
import io.courier.spi.Capabilities;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * A transport that stops dead on {@link #freeze()}: from then on its receivers return nothing and every ack, nack
 * and lease extension is dropped, as if its process had died. It stands in for a process crash where the
 * transport lives inside the test's JVM ({@code mem://}, {@code sim://}): the broker side sees exactly what it sees of
 * a killed consumer, leases that are never settled nor extended.
 */
final class Freezable implements io.courier.spi.Transport {
    private final io.courier.spi.Transport inner;
    private final CountDownLatch frozen = new CountDownLatch(1);

    Freezable(io.courier.spi.Transport inner) { this.inner = inner; }

    void freeze() { frozen.countDown(); }

    private boolean isFrozen() { return frozen.getCount() == 0; }

    @Override public Capabilities capabilities() { return inner.capabilities(); }

    @Override public CompletableFuture<Void> send(List<Message> batch) { return inner.send(batch); }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        Receiver r = inner.openReceiver(spec);
        return new Receiver() {
            @Override
            public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
                if (isFrozen()) {
                    Thread.sleep(wait.toMillis());
                    return List.of();
                }
                return r.receive(max, wait);
            }

            @Override public void ack(List<? extends Received> ds) { if (!isFrozen()) r.ack(ds); }

            @Override public void nack(List<? extends Received> ds, Duration delay) { if (!isFrozen()) r.nack(ds, delay); }

            @Override public void extendLease(List<? extends Received> ds, Duration d) { if (!isFrozen()) r.extendLease(ds, d); }

            @Override public void close() { if (!isFrozen()) r.close(); }
        };
    }

    @Override public void close() { if (!isFrozen()) inner.close(); }
}
