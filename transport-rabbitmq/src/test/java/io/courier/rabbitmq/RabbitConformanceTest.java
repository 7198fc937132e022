package io.courier.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole delivery contract, C1–C16, against the real RabbitMQ broker of {@link RabbitFixture}. Quorum queues are
 * not free: hundreds of idle ones left by earlier runs slow a small shared broker down (handshakes time out). So
 * before the run, idle queues left by earlier conformance runs and benchmarks are deleted, and afterwards the queues
 * of this run's groups (found with {@code rabbitmqctl list_queues} when it is on the PATH), and their entries in the
 * group registry ({@code groups list}).
 */
class RabbitConformanceTest extends ConformanceSuite {
    private final Set<String> groups = ConcurrentHashMap.newKeySet();

    @Override
    protected TransportFixture fixture() {
        RabbitFixture.requireBroker();
        return new RabbitFixture();
    }

    @Override
    protected String group(String tag) {
        String g = super.group(tag);
        groups.add(g);
        groups.add(g + ".dlq");
        return g;
    }

    @BeforeAll
    void deleteIdleQueuesOfEarlierRuns() {
        deleteQueues(queue -> queue.consumers() == 0 && LEFTOVER.matcher(queue.name()).matches());
        dropRegistrations(g -> LEFTOVER.matcher(g).matches());
    }

    @AfterAll
    void deleteThisRunsQueues() {
        deleteQueues(queue -> ofThisRun(queue.name()));
        dropRegistrations(groups::contains);
    }

    /** The group registry's entries of these groups, once their queues are gone (the queues were deleted without the Admin). */
    private static void dropRegistrations(Predicate<String> which) {
        try (io.courier.Courier c = io.courier.Courier.connect(new RabbitFixture().url())) {
            ((RabbitAdmin) c.transport().admin().orElseThrow()).dropStaleRegistrations(which);
        } catch (RuntimeException e) {
            // best effort, like the queues: a registration left only costs the listing a probe
        }
    }

    /** Queues of the suite's groups ({@code ct-<run>-…}) and of the benchmarks ({@code bench-…}), raw or Courier's. */
    private static final Pattern LEFTOVER = Pattern.compile("(courier\\.)?(ct|bench)-.*");

    private record Queue(String name, int consumers) {}

    private static void deleteQueues(Predicate<Queue> which) {
        List<String> names;
        try {
            Process p = new ProcessBuilder("rabbitmqctl", "-q", "list_queues", "name", "consumers").redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                names = r.lines().map(l -> l.trim().split("\\t")).filter(f -> f.length == 2 && f[1].matches("\\d+"))
                        .map(f -> new Queue(f[0], Integer.parseInt(f[1]))).filter(which).map(Queue::name).toList();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) { p.destroyForcibly(); return; }
        } catch (Exception e) {
            return; // no rabbitmqctl here: leave the queues
        }
        try (Connection c = RabbitFixture.plainConnection()) {
            for (String q : names) {
                Channel ch = c.createChannel();
                try { ch.queueDelete(q); } catch (Exception ignored) { /* gone already */ }
                if (ch.isOpen()) ch.close();
            }
        } catch (Exception ignored) {
            // best effort
        }
    }

    private boolean ofThisRun(String queue) {
        if (!queue.startsWith("courier.")) return false;
        String rest = queue.substring("courier.".length());
        for (String g : groups) {
            if (rest.equals(g) || rest.startsWith(g + "/") || rest.startsWith(g + "~")) return true;
        }
        return false;
    }
}
