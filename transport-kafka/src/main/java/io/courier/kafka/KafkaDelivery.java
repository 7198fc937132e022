package io.courier.kafka;

import io.courier.Message;
import io.courier.spi.Received;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * One Kafka record as a delivery: the message, its attempt number, where it came from, and its state. State changes
 * are compare-and-set; out of {@code LEASED} only the winner of the poller's lease table moves it, so a settlement is
 * applied once whatever thread calls it, and a late or duplicate one (after the lease expired, after a revocation,
 * after close) is ignored.
 */
final class KafkaDelivery implements Received {
    /** Not due yet (nack delay or not-before): held by the poller, not counted against prefetch. */
    static final int DELAYED = 0;
    /** Due, waiting in the receiver's inbox. */
    static final int BUFFERED = 1;
    /** Returned by {@code receive}, lease running. */
    static final int LEASED = 2;
    /** Being republished for redelivery (nack or expired lease); its offset stays uncommitted until that is durable. */
    static final int REPUBLISHING = 3;
    /** Acked or durably republished: its offset may be committed. */
    static final int DONE = 4;
    /** Its partition was revoked or the receiver closed: it will be read again by the partition's next owner. */
    static final int RELEASED = 5;

    final QueuePoller owner;
    final ConsumerRecord<byte[], byte[]> record;
    final TopicPartition partition;
    final Message message;
    final int attempt;
    final long dueAt;
    final AtomicInteger state;
    /** True once its lease was extended: a handler is working on it. */
    volatile boolean extended;

    /** {@code partition}: the record's topic and partition. */
    KafkaDelivery(QueuePoller owner, ConsumerRecord<byte[], byte[]> record, TopicPartition partition, Message message, int attempt,
                  long dueAt, int state) {
        this.owner = owner;
        this.record = record;
        this.partition = partition;
        this.message = message;
        this.attempt = attempt;
        this.dueAt = dueAt;
        this.state = new AtomicInteger(state);
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }

    long offset() { return record.offset(); }

    boolean move(int from, int to) { return state.compareAndSet(from, to); }

    int state() { return state.get(); }

    @Override
    public String toString() {
        return "KafkaDelivery[" + partition + "@" + record.offset() + ", id=" + message.id() + ", attempt=" + attempt + "]";
    }
}
