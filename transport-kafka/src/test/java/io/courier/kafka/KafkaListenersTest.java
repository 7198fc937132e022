package io.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Which listener the suite's Kafka cut tests go through, when {@code --kafka-proxy-listener} is not given. */
class KafkaListenersTest {

    @Test
    void theListenerAdvertisedOnLoopbackOnAnotherPortIsTheProxiedOne() {
        String listeners = "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,PROXIED://127.0.0.1:9094";
        String advertised = "PLAINTEXT://127.0.0.1:9092,PROXIED://127.0.0.1:19094";
        assertEquals(OptionalInt.of(9094), KafkaListeners.proxied(listeners, advertised, 9092));
        assertEquals(OptionalInt.empty(), KafkaListeners.proxied("PLAINTEXT://127.0.0.1:9092", "PLAINTEXT://127.0.0.1:9092", 9092));
        assertEquals(OptionalInt.empty(), KafkaListeners.proxied("PLAINTEXT://:9092,EXTERNAL://:9094", "PLAINTEXT://k1:9092,EXTERNAL://kafka.example.com:19094", 9092));
        assertEquals(OptionalInt.of(29094), KafkaListeners.proxied("plaintext://0.0.0.0:9092,cut://0.0.0.0:29094", "PLAINTEXT://localhost:9092,CUT://localhost:39094", 9092));
    }

    /** scripts/brokers' Kafka (the broker the repository's tests use) has one: PROXIED 9094, advertised as 19094. */
    @Test
    void scriptsBrokersKafkaHasOne() {
        KafkaFixture.requireBroker();
        assertEquals(OptionalInt.of(9094), KafkaListeners.proxiedListener("kafka://127.0.0.1:9092"));
    }
}
