package io.courier.cli;

/** send, tail and dlq on SQS as ElasticMQ serves it (127.0.0.1:9324). */
class SendTailDlqSqsTest extends SendTailDlqContract {
    @Override String url() { return "sqs://127.0.0.1:9324?region=elasticmq"; }

    @Override BrokerAddress broker() { return new BrokerAddress("elasticmq", "127.0.0.1", 9324); }
}
