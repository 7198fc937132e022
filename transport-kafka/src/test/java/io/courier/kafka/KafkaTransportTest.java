package io.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.InvalidUrlException;
import io.courier.Message;
import io.courier.PayloadTooLargeException;
import io.courier.SubscriptionOptions;
import io.courier.TransportUnavailableException;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Kafka adapter against the real broker on 127.0.0.1:9092 (started by scripts/brokers): each clause it maps. */
class KafkaTransportTest {
    private Courier courier;
    private String group;

    @BeforeAll
    static void broker() { KafkaFixture.requireBroker(); }

    @BeforeEach
    void open() {
        courier = Courier.connect(new KafkaFixture().url());
        group = "kafka-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void close() { courier.close(); }

    private Receiver receiver(String member, int prefetch, Duration ackDeadline) {
        return courier.transport().openReceiver(new ReceiverSpec(group, member, prefetch, ackDeadline));
    }

    private static List<Received> receiveAtLeast(Receiver r, int n, Duration within) throws InterruptedException {
        List<Received> got = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        while (got.size() < n && System.nanoTime() < deadline) got.addAll(r.receive(n - got.size(), Duration.ofMillis(200)));
        return got;
    }

    @Test
    void c8_fidelity_payload_headers_and_key_round_trip_and_plain_consumer_reads_it() throws Exception {
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) binary[i] = (byte) i;
        Message m = Message.to("any@" + group).payload(binary).header("trace", "ünïcødé ✓").header("empty", "").orderingKey("k1").build();
        courier.send(m).get(30, TimeUnit.SECONDS);
        courier.send(Message.to("any@" + group).payload(new byte[0]).build()).get(30, TimeUnit.SECONDS);
        try (Receiver r = receiver(null, 16, Duration.ofSeconds(30))) {
            List<Received> got = receiveAtLeast(r, 2, Duration.ofSeconds(30));
            assertEquals(2, got.size());
            Received first = got.stream().filter(x -> x.message().id().equals(m.id())).findFirst().orElseThrow();
            assertEquals(m, first.message());
            assertEquals(1, first.attempt());
            r.ack(got);
        }
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.BOOTSTRAP);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "plain-" + group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> plain = new KafkaConsumer<>(p)) {
            plain.subscribe(List.of("courier." + group));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 30_000;
            while (records.size() < 2 && System.currentTimeMillis() < deadline) plain.poll(Duration.ofMillis(200)).forEach(records::add);
            ConsumerRecord<byte[], byte[]> rec = records.stream().filter(x -> x.key() != null).findFirst().orElseThrow();
            assertEquals("k1", new String(rec.key(), StandardCharsets.UTF_8));
            assertTrue(java.util.Arrays.equals(binary, rec.value()));
            assertEquals("ünïcødé ✓", new String(rec.headers().lastHeader("trace").value(), StandardCharsets.UTF_8));
            assertEquals(m.id(), new String(rec.headers().lastHeader("courier-id").value(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void c8_plain_producer_record_without_headers_is_delivered() throws Exception {
        new KafkaFixture().plainSender().send(group, "plain".getBytes(StandardCharsets.UTF_8), Map.of());
        try (Receiver r = receiver(null, 16, Duration.ofSeconds(30))) {
            List<Received> got = receiveAtLeast(r, 1, Duration.ofSeconds(30));
            assertEquals(1, got.size());
            assertEquals("plain", got.get(0).message().payloadUtf8());
            assertEquals("any@" + group, got.get(0).message().destination().toString());
            assertEquals(1, got.get(0).attempt());
            assertTrue(got.get(0).message().headers().isEmpty());
            r.ack(got);
        }
    }

    @Test
    void c5_acked_is_not_redelivered_and_c2_unacked_is_after_close() throws Exception {
        for (int i = 0; i < 20; i++) courier.send(Message.to("any@" + group).payload("m" + i).build()).get(30, TimeUnit.SECONDS);
        try (Receiver r = receiver(null, 50, Duration.ofSeconds(30))) {
            List<Received> got = receiveAtLeast(r, 20, Duration.ofSeconds(30));
            assertEquals(20, got.size());
            r.ack(got.subList(0, 10)); // leave 10 unsettled: close releases them
        }
        try (Receiver r = receiver(null, 50, Duration.ofSeconds(30))) {
            List<Received> got = receiveAtLeast(r, 10, Duration.ofSeconds(30));
            assertEquals(10, got.size(), "the 10 unacked are redelivered, the acked are not");
            for (Received x : got) assertEquals(2, x.attempt(), "re-read after close counts as a redelivery: " + x.message().id());
            r.ack(got);
            assertTrue(r.receive(10, Duration.ofSeconds(2)).isEmpty());
        }
    }

    @Test
    void c6_nack_redelivers_after_delay_with_next_attempt() throws Exception {
        courier.send(Message.to("any@" + group).payload("x").build()).get(30, TimeUnit.SECONDS);
        try (Receiver r = receiver(null, 16, Duration.ofSeconds(30))) {
            Received first = receiveAtLeast(r, 1, Duration.ofSeconds(30)).get(0);
            long t0 = System.currentTimeMillis();
            r.nack(List.of(first), Duration.ofMillis(1500));
            Received second = receiveAtLeast(r, 1, Duration.ofSeconds(30)).get(0);
            long waited = System.currentTimeMillis() - t0;
            assertTrue(waited >= 1500, "redelivered after " + waited + " ms");
            assertEquals(first.message().id(), second.message().id());
            assertEquals(2, second.attempt());
            assertEquals(first.message(), second.message());
            r.ack(List.of(second));
            assertTrue(r.receive(10, Duration.ofSeconds(2)).isEmpty());
        }
    }

    @Test
    void c6_lease_expiry_redelivers_and_c16_extend_keeps_the_lease() throws Exception {
        courier.send(Message.to("any@" + group).payload("a").build()).get(30, TimeUnit.SECONDS);
        try (Receiver r = receiver(null, 16, Duration.ofSeconds(2))) {
            Received first = receiveAtLeast(r, 1, Duration.ofSeconds(30)).get(0);
            for (int i = 0; i < 4; i++) { // 4 s of extensions: no redelivery meanwhile
                r.extendLease(List.of(first), Duration.ofSeconds(2));
                assertTrue(r.receive(1, Duration.ofSeconds(1)).isEmpty(), "extended lease kept");
            }
            Received second = receiveAtLeast(r, 1, Duration.ofSeconds(10)).get(0);
            assertEquals(first.message().id(), second.message().id());
            assertEquals(2, second.attempt());
            r.ack(List.of(first)); // stale: ignored, harmless
            r.ack(List.of(second));
            assertTrue(r.receive(10, Duration.ofSeconds(3)).isEmpty());
        }
    }

    @Test
    void c10_not_before_is_respected() throws Exception {
        long at = System.currentTimeMillis() + 2000;
        courier.send(Message.to("any@" + group).payload("later").notBefore(java.time.Instant.ofEpochMilli(at)).build()).get(30, TimeUnit.SECONDS);
        try (Receiver r = receiver(null, 16, Duration.ofSeconds(30))) {
            Received d = receiveAtLeast(r, 1, Duration.ofSeconds(30)).get(0);
            assertTrue(System.currentTimeMillis() >= at);
            assertEquals(at, d.message().notBefore().toEpochMilli());
            r.ack(List.of(d));
        }
    }

    @Test
    void c4_uni_reaches_only_its_member_and_waits_for_it() throws Exception {
        courier.send(Message.to("uni@" + group + "/m2").payload("for m2").build()).get(30, TimeUnit.SECONDS);
        try (Receiver m1 = receiver("m1", 16, Duration.ofSeconds(30))) {
            assertTrue(m1.receive(10, Duration.ofSeconds(3)).isEmpty(), "m1 must not get m2's message");
        }
        try (Receiver m2 = receiver("m2", 16, Duration.ofSeconds(30))) {
            List<Received> got = receiveAtLeast(m2, 1, Duration.ofSeconds(30));
            assertEquals("uni@" + group + "/m2", got.get(0).message().destination().toString());
            m2.ack(got);
        }
    }

    @Test
    void c9_same_key_in_send_order() throws Exception {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Message m = Message.to("any@" + group).payload("" + i).orderingKey("key-" + (i % 3)).build();
            sent.add(m.id());
            courier.send(m);
        }
        courier.send(Message.to("any@" + group).payload("end").build()).get(30, TimeUnit.SECONDS);
        Map<String, List<Integer>> byKey = new ConcurrentHashMap<>();
        try (Receiver r = receiver(null, 300, Duration.ofSeconds(30))) {
            List<Received> got = receiveAtLeast(r, 201, Duration.ofSeconds(30));
            for (Received x : got) {
                if (x.message().orderingKey() != null) byKey.computeIfAbsent(x.message().orderingKey(), k -> new ArrayList<>()).add(Integer.parseInt(x.message().payloadUtf8()));
            }
            r.ack(got);
        }
        for (List<Integer> seq : byKey.values()) {
            List<Integer> sorted = new ArrayList<>(seq);
            Collections.sort(sorted);
            assertEquals(sorted, seq);
        }
        assertEquals(200, byKey.values().stream().mapToInt(List::size).sum());
    }

    @Test
    void c15_c7_runtime_retries_exactly_max_attempts_then_dead_letters() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        List<io.courier.Delivery> dead = new CopyOnWriteArrayList<>();
        courier.subscribe(SubscriptionOptions.group(group + ".dlq").build(), dead::add);
        courier.subscribe(SubscriptionOptions.group(group).maxAttempts(3)
                .retry(new io.courier.RetryPolicy(3, io.courier.RetryPolicy.Backoff.LINEAR, Duration.ofMillis(200), Duration.ofMillis(200), 1.0, 0.0))
                .build(), d -> { runs.incrementAndGet(); throw new IllegalStateException("always fails"); });
        Message m = Message.to("any@" + group).payload("poison").header("h", "v").build();
        courier.send(m).get(30, TimeUnit.SECONDS);
        long deadline = System.currentTimeMillis() + 30_000;
        while (dead.isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(100);
        Thread.sleep(1000);
        assertEquals(3, runs.get());
        assertEquals(1, dead.size());
        Message dl = dead.get(0).message();
        assertEquals(m.id(), dl.id());
        assertEquals("v", dl.headers().get("h"));
        assertEquals("3", dl.headers().get(Message.ATTEMPTS));
        assertNotNull(dl.headers().get(Message.DEAD_LETTER_REASON));
        assertNull(dl.headers().get("courier-attempt"));
        assertEquals(1, dead.get(0).attempt());
    }

    @Test
    void c14_errors_are_typed_and_bounded() {
        long t0 = System.currentTimeMillis();
        TransportUnavailableException down = assertThrows(TransportUnavailableException.class,
                () -> Courier.connect("kafka://127.0.0.1:1?connect-timeout=2s"));
        assertTrue(System.currentTimeMillis() - t0 < 10_000);
        assertTrue(down.getMessage().contains("127.0.0.1:1"), down.getMessage());
        assertThrows(TransportUnavailableException.class, () -> Courier.connect("kafka://no-such-host.invalid:9092?connect-timeout=2s"));
        InvalidUrlException bad = assertThrows(InvalidUrlException.class, () -> Courier.connect("kafka://127.0.0.1:9092?lingr=5ms"));
        assertTrue(bad.getMessage().contains("linger"), bad.getMessage());
        assertThrows(InvalidUrlException.class, () -> Courier.connect("kafka://127.0.0.1:9092?partitions=zero"));
        long max = courier.capabilities().maxPayloadBytes();
        CompletionException tooBig = assertThrows(CompletionException.class,
                () -> courier.send(Message.to("any@" + group).payload(new byte[(int) max + 1]).build()).join());
        assertInstanceOf(PayloadTooLargeException.class, tooBig.getCause());
        courier.send(Message.to("any@" + group).payload(new byte[(int) max]).build()).join();
    }
}
