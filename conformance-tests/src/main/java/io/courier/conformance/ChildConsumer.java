package io.courier.conformance;

import io.courier.Courier;
import io.courier.SubscriptionOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A consumer in a JVM of its own, for the clauses that need a real process crash (C18): it subscribes to a group,
 * takes messages and never settles them (its handlers block), printing {@code holding <id>} for each, until the
 * suite kills it with SIGKILL. {@code java -cp … io.courier.conformance.ChildConsumer URL GROUP ACK_DEADLINE_MS}.
 */
public final class ChildConsumer {
    private ChildConsumer() {}

    public static void main(String[] args) throws Exception {
        Courier courier = Courier.connect(args[0]);
        CountDownLatch never = new CountDownLatch(1);
        courier.subscribe(SubscriptionOptions.group(args[1]).concurrency(4).prefetch(16)
                .ackDeadline(Duration.ofMillis(Long.parseLong(args[2]))).build(), d -> {
            synchronized (System.out) {
                System.out.println("holding " + d.message().id());
                System.out.flush();
            }
            never.await();
        });
        never.await();
    }

    /** Starts a child consumer of {@code group} on {@code url}, with this JVM's java and class path. */
    static Process start(String url, String group, Duration ackDeadline, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), ChildConsumer.class.getName(), url, group, Long.toString(ackDeadline.toMillis())));
        return new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(log.toFile()).start();
    }

    /** Kills {@code p} with SIGKILL (no shutdown hook, no close: a crash) and waits for it to be gone. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("the child consumer survived SIGKILL for 30 s");
    }
}
