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
 * A consumer in a JVM of its own, for the clauses that need a real process crash or pause (C18): it subscribes to a
 * group and prints {@code holding <id>} as each handler starts. Without a handling time its handlers block, never
 * settling, until the suite kills it with SIGKILL; with one ({@code HANDLE_MS}) each handler takes that long, prints
 * {@code done <id>} and returns (the runtime acks), so that a consumer paused with SIGSTOP and woken with SIGCONT acks
 * late. {@code java -cp … io.courier.conformance.ChildConsumer URL GROUP ACK_DEADLINE_MS [HANDLE_MS]}.
 */
public final class ChildConsumer {
    private ChildConsumer() {}

    public static void main(String[] args) throws Exception {
        Courier courier = Courier.connect(args[0]);
        CountDownLatch never = new CountDownLatch(1);
        long handleMillis = args.length > 3 ? Long.parseLong(args[3]) : -1;
        courier.subscribe(SubscriptionOptions.group(args[1]).concurrency(4).prefetch(16)
                .ackDeadline(Duration.ofMillis(Long.parseLong(args[2]))).build(), d -> {
            say("holding " + d.message().id());
            if (handleMillis < 0) never.await();
            Thread.sleep(handleMillis);
            say("done " + d.message().id());
        });
        never.await();
    }

    private static void say(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /** Starts a child consumer of {@code group} on {@code url}, with this JVM's java and class path. */
    static Process start(String url, String group, Duration ackDeadline, Path log) throws IOException {
        return start(url, group, ackDeadline, log, null);
    }

    /** As {@link #start(String, String, Duration, Path)}; with {@code handling} each handler takes that long, then acks. */
    static Process start(String url, String group, Duration ackDeadline, Path log, Duration handling) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), ChildConsumer.class.getName(), url, group, Long.toString(ackDeadline.toMillis())));
        if (handling != null) cmd.add(Long.toString(handling.toMillis()));
        return new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(log.toFile()).start();
    }

    /** Follows the child's output on a virtual thread: the ids it holds and, in timed mode, those it finished. */
    static void follow(Process p, java.util.Set<String> holding, java.util.Set<String> done) {
        Thread.ofVirtual().start(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("holding ")) holding.add(line.substring(8));
                    else if (line.startsWith("done ")) done.add(line.substring(5));
                }
            } catch (IOException ignored) { /* the child is gone */ }
        });
    }

    /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to {@code p} with the system's {@code kill} (Linux, macOS). */
    static void signal(Process p, String signal) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true).start();
        String out = new String(k.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        if (k.waitFor() != 0) throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed: " + out);
    }

    /** Kills {@code p} with SIGKILL (no shutdown hook, no close: a crash) and waits for it to be gone. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("the child consumer survived SIGKILL for 30 s");
    }
}
