package io.courier.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Raw kafka-clients: acks=all, idempotent, linger 5 ms, 256 KiB batches; consumer commits asynchronously per poll. */
final class KafkaRawDriver implements BenchDriver {
    private final String bootstrap;
    private String topic;
    private KafkaProducer<byte[], byte[]> producer;
    private Thread consumerThread;
    private volatile boolean running = true;
    private final java.util.concurrent.CountDownLatch assigned = new java.util.concurrent.CountDownLatch(1);

    KafkaRawDriver(String bootstrap) { this.bootstrap = bootstrap; }

    @Override
    public void setUp(String destination) throws Exception {
        topic = destination;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("linger.ms", "5");
        p.put("batch.size", "262144");
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public CompletableFuture<Void> send(byte[] payload) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, payload), (md, e) -> { if (e == null) f.complete(null); else f.completeExceptionally(e); });
        return f;
    }

    @Override
    public void startConsumer(Sink sink) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", topic + "-raw");
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        p.put("max.poll.records", "500");
        consumerThread = Thread.ofPlatform().name("kafka-raw-consumer").start(() -> {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                c.subscribe(List.of(topic), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                    @Override public void onPartitionsRevoked(java.util.Collection<org.apache.kafka.common.TopicPartition> tps) {}

                    @Override public void onPartitionsAssigned(java.util.Collection<org.apache.kafka.common.TopicPartition> tps) {
                        if (!tps.isEmpty()) assigned.countDown();
                    }
                });
                while (running) {
                    var records = c.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<byte[], byte[]> r : records) sink.received(r.value());
                    if (!records.isEmpty()) c.commitAsync();
                }
                c.commitSync();
            }
        });
    }

    @Override
    public boolean awaitConsumerReady(Duration timeout) throws InterruptedException {
        return assigned.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws Exception {
        running = false;
        if (consumerThread != null) consumerThread.join(10_000);
        if (producer != null) producer.close();
    }
}
