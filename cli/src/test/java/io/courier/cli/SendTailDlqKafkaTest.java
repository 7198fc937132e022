package io.courier.cli;

/** send, tail and dlq on the real Kafka (127.0.0.1:9092). */
class SendTailDlqKafkaTest extends SendTailDlqContract {
    @Override String url() { return "kafka://127.0.0.1:9092"; }

    @Override BrokerAddress broker() { return new BrokerAddress("kafka", "127.0.0.1", 9092); }
}
