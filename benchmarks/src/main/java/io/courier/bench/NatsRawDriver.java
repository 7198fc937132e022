package io.courier.bench;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Raw jnats: file-storage stream, publishAsync (PubAck per message), durable pull consumer, explicit ack per message. */
final class NatsRawDriver implements BenchDriver {
    private final String url;
    private Connection nc;
    private JetStream js;
    private String subject;
    private String stream;
    private Thread consumerThread;
    private volatile boolean running = true;

    NatsRawDriver(String url) { this.url = url; }

    @Override
    public void setUp(String destination) throws Exception {
        nc = Nats.connect(url);
        subject = destination;
        stream = destination.replace('.', '_');
        nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.File).build());
        js = nc.jetStream();
    }

    @Override
    public CompletableFuture<Void> send(byte[] payload) {
        return js.publishAsync(subject, payload).thenApply(ack -> null);
    }

    @Override
    public void startConsumer(Sink sink) throws Exception {
        JetStreamSubscription sub = js.subscribe(subject, PullSubscribeOptions.builder()
                .configuration(ConsumerConfiguration.builder().durable(stream + "-raw").maxAckPending(10_000).build()).build());
        consumerThread = Thread.ofPlatform().name("nats-raw-consumer").start(() -> {
            while (running) {
                var it = sub.iterate(500, Duration.ofMillis(100)); // yields each message as it arrives
                while (it.hasNext()) {
                    Message m = it.next();
                    sink.received(m.getData());
                    m.ack();
                }
            }
        });
    }

    @Override
    public void close() throws Exception {
        running = false;
        if (consumerThread != null) consumerThread.join(10_000);
        if (nc != null) {
            try { nc.jetStreamManagement().deleteStream(stream); } catch (Exception ignored) { /* best effort */ }
            nc.close();
        }
    }
}
