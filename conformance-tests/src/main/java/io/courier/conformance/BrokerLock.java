package io.courier.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A lock per broker of this machine, across processes: a broker restart holds it exclusively, and a test in another
 * process that needs that broker up (scripts/test runs its lanes side by side: the cli tests in one lane use the
 * brokers whose conformance runs restart them in others) holds it shared. Without it, a cli test met PostgreSQL
 * restarting under it ("Connection refused") in a clean-clone CI run. A file lock in the temporary directory: the
 * operating system releases it when its process dies.
 */
public final class BrokerLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private BrokerLock(String broker, boolean shared) {
        try {
            channel = FileChannel.open(Path.of(System.getProperty("java.io.tmpdir"), "courier-broker-" + broker + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            lock = channel.lock(0, Long.MAX_VALUE, shared);
        } catch (IOException e) {
            throw new UncheckedIOException("could not lock broker " + broker + " against restarts", e);
        }
    }

    /** Waits until no test uses {@code broker} and holds it for a restart. */
    public static BrokerLock exclusive(String broker) { return new BrokerLock(broker, false); }

    /** Waits until {@code broker} is not being restarted and keeps it from restarts until closed. */
    public static BrokerLock shared(String broker) { return new BrokerLock(broker, true); }

    /** The broker that {@code scripts/brokers} runs for a URL scheme, or null when there is none (mem, sim, http). */
    public static String brokerOf(String scheme) {
        return switch (scheme) {
            case "kafka" -> "kafka";
            case "amqp", "amqps" -> "rabbitmq";
            case "nats" -> "nats";
            case "sqs" -> "elasticmq";
            case "postgres", "postgresql" -> "postgres";
            default -> null;
        };
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the channel is gone: so is the lock
        }
    }
}
