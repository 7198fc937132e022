package io.courier.cli;

/** send, tail and dlq on the real Nats (127.0.0.1:4222). */
class SendTailDlqNatsTest extends SendTailDlqContract {
    @Override String url() { return "nats://127.0.0.1:4222"; }

    @Override BrokerAddress broker() { return new BrokerAddress("nats", "127.0.0.1", 4222); }
}
