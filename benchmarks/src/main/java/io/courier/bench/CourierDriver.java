package io.courier.bench;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import java.util.concurrent.CompletableFuture;

/**
 * Courier over any URL: the same durability as the transport's raw client, one consumer acking every message;
 * optionally with metrics and traces on ({@link Observability}).
 */
final class CourierDriver implements BenchDriver {
    private final String url;
    private final int prefetch;
    private final Observability observability;
    private Courier courier;
    private String group;
    private io.courier.Subscription subscription;

    CourierDriver(String url, int prefetch) { this(url, prefetch, null); }

    /** {@code observability}: metrics and traces on; null: off. */
    CourierDriver(String url, int prefetch, Observability observability) {
        this.url = url;
        this.prefetch = prefetch;
        this.observability = observability;
    }

    @Override
    public void setUp(String destination) {
        courier = observability == null ? Courier.connect(url) : Courier.connect(url, observability.options());
        group = destination;
    }

    @Override
    public CompletableFuture<Void> send(byte[] payload) {
        return courier.send(Message.to(Destination.any(group)).payload(payload).build());
    }

    @Override
    public void startConsumer(Sink sink) {
        subscription = courier.subscribe(SubscriptionOptions.group(group).concurrency(1).prefetch(prefetch).build(), d -> sink.received(d.message().payload()));
    }

    @Override
    public boolean awaitConsumerReady(java.time.Duration timeout) throws InterruptedException {
        return subscription.awaitReady(timeout);
    }

    @Override
    public void close() {
        if (courier != null) courier.close();
        if (observability != null) observability.close();
    }
}
