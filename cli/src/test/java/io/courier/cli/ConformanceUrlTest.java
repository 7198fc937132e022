package io.courier.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.conformance.UrlFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@code ./courier conformance URL} on a broker of this repository: C8's plain-client test has the broker's own client
 * (before: the URL fixture had one for mem:// and http:// only, so the test was not-run on every broker), and Kafka's
 * cut tests take the proxied listener's port.
 */
class ConformanceUrlTest {

    @ParameterizedTest
    @ValueSource(strings = {"kafka://127.0.0.1:9092", "amqp://guest:guest@127.0.0.1:5672/%2F", "amqps://guest:guest@127.0.0.1:5671/%2F",
            "nats://127.0.0.1:4222", "sqs://127.0.0.1:9324?region=elasticmq", "postgres://postgres@127.0.0.1:5432/test",
            "postgresql://postgres@127.0.0.1:5432/test", "http://127.0.0.1:8080", "mem://"})
    void everyTransportOfTheCliHasAPlainClientForC8(String url) {
        assertNotNull(new UrlFixture(url, null, false).plainSender(), "no plain client for " + url);
    }

    @Test
    void kafkaWithoutTheOptionFindsScriptsBrokersProxiedListener() {
        assertEquals(java.util.OptionalInt.of(9094), io.courier.kafka.KafkaListeners.proxiedListener("kafka://127.0.0.1:9092"));
    }

    @Test
    void theKafkaProxyListenerIsForKafkaOnly() {
        CliTest.Run run = CliTest.courier("conformance", "mem://", "--kafka-proxy-listener", "9094");
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("--kafka-proxy-listener is for kafka:// URLs"), run.err());
    }
}
