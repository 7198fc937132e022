package io.courier.kafka;

import io.courier.Courier;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * End-to-end throughput, Courier over kafka:// vs the raw kafka-clients producer and consumer with the same
 * durability ({@code acks=all}, idempotence, manual commits) and the same batching, on the same broker in the same
 * run: 1 KiB messages, {@code courier.bench.messages} of them (default 100,000), alternating raw and Courier runs.
 * Not part of the normal build (the name does not end in Test); run it with
 * {@code ./mvnw -pl transport-kafka -am verify -Dtest=KafkaThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class KafkaThroughputBenchmark {
    private static final int MESSAGES = Integer.getInteger("courier.bench.messages", 100_000);
    private static final int ROUNDS = Integer.getInteger("courier.bench.rounds", 3);
    private static final int PARTITIONS = 8;
    private static final byte[] PAYLOAD = new byte[1024];

    record Result(String what, double produceRate, double e2eRate) {
        @Override public String toString() { return String.format("%-8s produce %8.0f msg/s   end-to-end %8.0f msg/s", what, produceRate, e2eRate); }
    }

    @Test
    void courierVersusRawKafkaClients() throws Exception {
        KafkaFixture.requireBroker();
        List<Result> results = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            results.add(raw());
            results.add(courier());
        }
        StringBuilder sb = new StringBuilder("\n=== Kafka e2e, " + MESSAGES + " x 1 KiB, " + PARTITIONS + " partitions, acks=all + idempotence ===\n");
        results.forEach(r -> sb.append(r).append('\n'));
        System.out.println(sb);
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "kafka-benchmark.txt"), sb.toString());
    }

    private Result raw() throws Exception {
        String topic = "bench-raw-" + UUID.randomUUID().toString().substring(0, 8);
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.BOOTSTRAP);
        try (Admin admin = Admin.create(a)) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.BOOTSTRAP);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, topic);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        AtomicLong consumed = new AtomicLong();
        AtomicLong doneAt = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        Thread consumerThread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
                consumer.subscribe(List.of(topic));
                while (!stop.get() && consumed.get() < MESSAGES) {
                    ConsumerRecords<byte[], byte[]> rs = consumer.poll(Duration.ofMillis(100));
                    if (!consumer.assignment().isEmpty()) ready.countDown();
                    if (!rs.isEmpty()) {
                        if (consumed.addAndGet(rs.count()) >= MESSAGES) doneAt.set(System.nanoTime());
                        consumer.commitAsync();
                    }
                }
                consumer.commitSync();
            }
        });
        consumerThread.start();
        ready.await(30, TimeUnit.SECONDS);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.BOOTSTRAP);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        long t0 = System.nanoTime();
        long produced;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            CountDownLatch acked = new CountDownLatch(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) producer.send(new ProducerRecord<>(topic, PAYLOAD), (m, e) -> { if (e == null) acked.countDown(); });
            acked.await(120, TimeUnit.SECONDS);
            produced = System.nanoTime();
        }
        consumerThread.join(120_000);
        long end = doneAt.get() != 0 ? doneAt.get() : System.nanoTime();
        stop.set(true);
        return new Result("raw", rate(MESSAGES, produced - t0), rate(consumed.get(), end - t0));
    }

    private Result courier() throws Exception {
        String group = "bench-courier-" + UUID.randomUUID().toString().substring(0, 8);
        try (Courier courier = Courier.connect("kafka://" + KafkaFixture.BOOTSTRAP + "?partitions=" + PARTITIONS)) {
            AtomicLong consumed = new AtomicLong();
            CountDownLatch all = new CountDownLatch(1);
            Subscription s = courier.subscribe(SubscriptionOptions.group(group).concurrency(16).prefetch(2000).build(), d -> {
                if (consumed.incrementAndGet() == MESSAGES) all.countDown();
            });
            Thread.sleep(3000); // let the consumer join its group, as the raw run waits for its assignment
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> sends = new ArrayList<>(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) sends.add(courier.send(Message.to("any@" + group).payload(PAYLOAD).build()));
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            long produced = System.nanoTime();
            all.await(120, TimeUnit.SECONDS);
            long end = System.nanoTime();
            s.close();
            return new Result("courier", rate(MESSAGES, produced - t0), rate(consumed.get(), end - t0));
        }
    }

    private static double rate(long n, long nanos) { return n / (nanos / 1e9); }

}
