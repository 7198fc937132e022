package io.courier.bench;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import java.util.concurrent.CompletableFuture;

/** Courier over any URL: the same durability as the transport's raw client, one consumer acking every message. */
final class CourierDriver implements BenchDriver {
    private final String url;
    private final int prefetch;
    private Courier courier;
    private String group;

    CourierDriver(String url, int prefetch) {
        this.url = url;
        this.prefetch = prefetch;
    }

    @Override
    public void setUp(String destination) {
        courier = Courier.connect(url);
        group = destination;
    }

    @Override
    public CompletableFuture<Void> send(byte[] payload) {
        return courier.send(Message.to(Destination.any(group)).payload(payload).build());
    }

    @Override
    public void startConsumer(Sink sink) {
        courier.subscribe(SubscriptionOptions.group(group).concurrency(1).prefetch(prefetch).build(), d -> sink.received(d.message().payload()));
    }

    @Override
    public void close() {
        if (courier != null) courier.close();
    }
}
