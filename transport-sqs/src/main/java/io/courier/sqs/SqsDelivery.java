package io.courier.sqs;

import io.courier.Message;
import io.courier.spi.Received;

/**
 * One received SQS message: the message, its attempt ({@code ApproximateReceiveCount}), the queue and receipt handle
 * that settle it. Its lease is in the receiver's lease table: a second settlement, or one after the lease ran out (the
 * message may already be with another member), is ignored.
 */
final class SqsDelivery implements Received {
    final Message message;
    final int attempt;
    final String queueUrl;
    final String receiptHandle;

    SqsDelivery(Message message, int attempt, String queueUrl, String receiptHandle) {
        this.message = message;
        this.attempt = attempt;
        this.queueUrl = queueUrl;
        this.receiptHandle = receiptHandle;
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }
}
