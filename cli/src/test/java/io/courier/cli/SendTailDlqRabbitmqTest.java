package io.courier.cli;

/** send, tail and dlq on the real RabbitMQ (127.0.0.1:5672, guest/guest). */
class SendTailDlqRabbitmqTest extends SendTailDlqContract {
    @Override String url() { return "amqp://guest:guest@127.0.0.1:5672/"; }

    @Override BrokerAddress broker() { return new BrokerAddress("rabbitmq", "127.0.0.1", 5672); }
}
