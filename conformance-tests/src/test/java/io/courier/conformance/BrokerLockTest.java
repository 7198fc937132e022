package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A restart's exclusive lock waits for a test of another process that holds the broker shared. */
class BrokerLockTest {
    /** The other process: holds {@code args[0]} shared for {@code args[1]} ms. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            try (BrokerLock ignored = BrokerLock.shared(args[0])) {
                System.out.println("held");
                System.out.flush();
                Thread.sleep(Long.parseLong(args[1]));
            }
        }
    }

    @Test
    void anExclusiveLockWaitsForASharedOneOfAnotherProcess() throws Exception {
        String broker = "test-" + UUID.randomUUID().toString().substring(0, 8);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(), broker, "2000"))
                .redirectErrorStream(true).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("held", in.readLine());
            long t0 = System.nanoTime();
            try (BrokerLock ignored = BrokerLock.exclusive(broker)) {
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(waited >= 1_000, "the exclusive lock was granted after " + waited + " ms, while the other process held it shared");
            }
        } finally {
            p.destroyForcibly();
        }
        assertEquals("elasticmq", BrokerLock.brokerOf("sqs"));
        assertEquals("rabbitmq", BrokerLock.brokerOf("amqp"));
    }
}
