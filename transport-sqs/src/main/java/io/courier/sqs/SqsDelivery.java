package io.courier.sqs;

import io.courier.Message;
import io.courier.spi.Received;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One received SQS message: the message, its attempt ({@code ApproximateReceiveCount}), the queue and receipt handle
 * that settle it, and its lease. Settled once: a second settlement, or one after the lease ran out (the message may
 * already be with another member), is ignored.
 */
final class SqsDelivery implements Received {
    final Message message;
    final int attempt;
    final String queueUrl;
    final String receiptHandle;
    volatile long leaseUntilNanos;
    private final AtomicBoolean settled = new AtomicBoolean();

    SqsDelivery(Message message, int attempt, String queueUrl, String receiptHandle, long leaseUntilNanos) {
        this.message = message;
        this.attempt = attempt;
        this.queueUrl = queueUrl;
        this.receiptHandle = receiptHandle;
        this.leaseUntilNanos = leaseUntilNanos;
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }

    boolean leaseRunning(long now) { return now - leaseUntilNanos < 0; }

    /** Marks it settled; false when it was already, or its lease ran out. */
    boolean settle(long now) { return leaseRunning(now) && settled.compareAndSet(false, true); }

    boolean settled() { return settled.get(); }
}
