package io.courier.conformance;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The brokers that this repository's {@code scripts/brokers} runs on 127.0.0.1, as the fixtures of its own transports
 * use them: wait until one listens (failing, never skipping, with the command that starts it) and restart one.
 * Run from a module directory, the script is {@code ../scripts/brokers}; {@code COURIER_BROKERS_SCRIPT} overrides it.
 */
public final class RepositoryBrokers {
    private RepositoryBrokers() {}

    /** {@code scripts/brokers} of the repository, or {@code COURIER_BROKERS_SCRIPT}. */
    public static Path script() {
        String env = System.getenv("COURIER_BROKERS_SCRIPT");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of("..", "scripts", "brokers").toAbsolutePath().normalize();
    }

    /** Whether the script is there to restart brokers with. */
    public static boolean canRestart() { return Files.isExecutable(script()); }

    /**
     * {@code scripts/brokers restart BROKER}, waiting up to {@code timeout}; its output goes to
     * {@code target/brokers-restart.log} and, when it fails, into the exception.
     */
    public static void restart(String broker, Duration timeout) throws IOException, InterruptedException {
        try (BrokerLock ignored = BrokerLock.exclusive(broker)) { // not while a test of another lane uses the broker
            run(broker, timeout);
        }
    }

    private static void run(String broker, Duration timeout) throws IOException, InterruptedException {
        File log = new File("target/brokers-restart.log");
        Process p = new ProcessBuilder(script().toString(), "restart", broker).redirectErrorStream(true).redirectOutput(log).start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("scripts/brokers restart " + broker + " did not finish in " + timeout.toSeconds() + " s (see " + log + ")");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("scripts/brokers restart " + broker + " failed with " + p.exitValue() + ": "
                    + Files.readString(log.toPath(), StandardCharsets.UTF_8));
        }
    }

    /**
     * Returns once something accepts connections on {@code host:port}; after 30 s fails (never skips) with a message
     * naming the broker and {@code scripts/brokers up BROKER}.
     */
    public static void awaitListening(String broker, String host, int port) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no " + broker + " broker at " + host + ":" + port
                            + ": start it with: scripts/brokers up " + broker + " (from the repository root)");
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for " + broker, ie);
                }
            }
        }
    }
}
