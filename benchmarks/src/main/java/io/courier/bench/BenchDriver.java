package io.courier.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * What the harness drives, for a raw client library and for Courier alike (after the OpenMessaging Benchmark's
 * driver): one destination, one producer, one consumer that acknowledges every message. Payloads carry the
 * send time in their first 8 bytes; the consumer reports it back so the harness measures latency.
 */
public interface BenchDriver extends AutoCloseable {

    /** Creates a fresh destination (topic, queue, stream subject …) with the driver's durable settings. */
    void setUp(String destination) throws Exception;

    /** Sends one payload durably; completes when the broker accepted it (acks=all, confirm, PubAck, SQS 200). */
    CompletableFuture<Void> send(byte[] payload);

    /**
     * Starts consuming: for every message, hand its payload to {@code sink} and acknowledge it (per message, as a
     * careful user would).
     */
    void startConsumer(Sink sink) throws Exception;

    /**
     * Waits until the consumer started by {@link #startConsumer} really consumes (a Kafka consumer has joined its
     * group and been assigned its partitions), so that neither measurement counts a one-off group join as
     * latency or as time to drain; true at once for clients that have no such step.
     */
    default boolean awaitConsumerReady(java.time.Duration timeout) throws InterruptedException { return true; }

    /** Receives payloads; the first 16 bytes are the intended send time (nanoTime) and a sequence number. */
    @FunctionalInterface
    interface Sink {
        void received(byte[] payload);
    }

    /** Writes the send time and sequence number into the first 16 bytes of a payload of {@code size} bytes. */
    static byte[] payload(int size, long sendNanos, long seq) {
        byte[] b = new byte[Math.max(16, size)];
        ByteBuffer.wrap(b).putLong(sendNanos).putLong(seq);
        return b;
    }

    static long sentNanos(byte[] payload) { return ByteBuffer.wrap(payload).getLong(0); }

    static long seq(byte[] payload) { return ByteBuffer.wrap(payload).getLong(8); }

    @Override
    void close() throws Exception;
}
