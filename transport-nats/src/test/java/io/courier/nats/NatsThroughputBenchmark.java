package io.courier.nats;

import io.courier.Courier;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * End-to-end msg/s of Courier over {@code nats://} against raw jnats with the same durability on the same server in
 * the same run: file-storage work-queue stream, {@code publishAsync} with at most {@value #WINDOW} PubAcks
 * outstanding, a durable pull consumer with explicit ack per message; 1 KiB payloads, {@code courier.bench.messages}
 * (default 100,000). Raw and Courier alternate for {@code courier.bench.rounds} rounds. Not part of the normal build;
 * run {@code ./mvnw -pl transport-nats -am verify -Dtest=NatsThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class NatsThroughputBenchmark {
    private static final int MESSAGES = Integer.getInteger("courier.bench.messages", 100_000);
    private static final int ROUNDS = Integer.getInteger("courier.bench.rounds", 3);
    private static final int WINDOW = 1_000;
    /** {@code -Dcourier.bench.rawMsgId=true}: the raw publisher sets a {@code Nats-Msg-Id} too, as Courier does. */
    private static final boolean RAW_MSG_ID = Boolean.getBoolean("courier.bench.rawMsgId");
    private static final byte[] PAYLOAD = new byte[1024];

    @Test
    void courierAgainstRawJnats() throws Exception {
        NatsFixture.requireBroker();
        StringBuilder out = new StringBuilder("nats e2e, " + MESSAGES + " x 1 KiB, file storage, PubAck per message, explicit ack per message\n");
        for (int round = 1; round <= ROUNDS; round++) {
            double[] raw = rawRun();
            double[] courier = courierRun();
            out.append(String.format("round %d: produce raw %.0f / courier %.0f msg/s; end-to-end raw %.0f / courier %.0f msg/s, ratio %.2f%n",
                    round, raw[0], courier[0], raw[1], courier[1], courier[1] / raw[1]));
        }
        System.out.println(out);
        Files.writeString(Path.of("target", "nats-benchmark.txt"), out.toString());
    }

    private double[] rawRun() throws Exception {
        String name = "BENCH_RAW_" + UUID.randomUUID().toString().substring(0, 8);
        String subject = "bench.raw." + name;
        try (Connection nc = Nats.connect("nats://" + NatsFixture.HOST + ":" + NatsFixture.PORT)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(name).subjects(subject).storageType(StorageType.File)
                    .retentionPolicy(RetentionPolicy.WorkQueue).build());
            JetStream js = nc.jetStream();
            JetStreamSubscription sub = js.subscribe(subject, PullSubscribeOptions.builder().configuration(ConsumerConfiguration.builder()
                    .durable("raw").ackPolicy(AckPolicy.Explicit).maxAckPending(20_000).build()).build());
            AtomicLong received = new AtomicLong();
            Thread consumer = Thread.ofPlatform().start(() -> {
                while (received.get() < MESSAGES) {
                    Iterator<io.nats.client.Message> it = sub.iterate(500, Duration.ofMillis(100));
                    while (it.hasNext()) {
                        it.next().ack();
                        received.incrementAndGet();
                    }
                }
            });
            long t0 = System.nanoTime();
            Semaphore window = new Semaphore(WINDOW);
            for (int i = 0; i < MESSAGES; i++) {
                window.acquire();
                CompletableFuture<?> f = RAW_MSG_ID
                        ? js.publishAsync(subject, PAYLOAD, io.nats.client.PublishOptions.builder().messageId(UUID.randomUUID().toString()).build())
                        : js.publishAsync(subject, PAYLOAD);
                f.whenComplete((a, e) -> window.release());
            }
            window.acquire(WINDOW);
            double produce = MESSAGES / ((System.nanoTime() - t0) / 1e9);
            consumer.join(180_000);
            double rate = received.get() / ((System.nanoTime() - t0) / 1e9);
            jsm.deleteStream(name);
            return new double[] {produce, rate};
        }
    }

    private double[] courierRun() throws Exception {
        String group = "bench-courier-" + UUID.randomUUID().toString().substring(0, 8);
        try (Courier courier = Courier.connect("nats://" + NatsFixture.HOST + ":" + NatsFixture.PORT)) {
            AtomicLong received = new AtomicLong();
            CountDownLatch done = new CountDownLatch(1);
            Subscription s = courier.subscribe(SubscriptionOptions.group(group).concurrency(16).prefetch(2000).build(), d -> {
                if (received.incrementAndGet() == MESSAGES) done.countDown();
            });
            long t0 = System.nanoTime();
            Semaphore window = new Semaphore(WINDOW);
            List<CompletableFuture<Void>> failures = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                window.acquire();
                CompletableFuture<Void> f = courier.send(Message.to("any@" + group).payload(PAYLOAD).build());
                f.whenComplete((v, e) -> window.release());
                if (i % 10_000 == 0) failures.add(f);
            }
            window.acquire(WINDOW);
            double produce = MESSAGES / ((System.nanoTime() - t0) / 1e9);
            done.await(180, TimeUnit.SECONDS);
            double rate = received.get() / ((System.nanoTime() - t0) / 1e9);
            s.close();
            for (CompletableFuture<Void> f : failures) f.get(30, TimeUnit.SECONDS);
            return new double[] {produce, rate};
        }
    }
}
