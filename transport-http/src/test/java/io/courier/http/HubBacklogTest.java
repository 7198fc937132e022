package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A durable hub is bounded by its disk, not its heap (issue #21): payloads stay in the journal, the heap holds what
 * scheduling needs. A hub with {@code -Xmx64m} accepts a backlog of more than 10 times its heap with no
 * {@code hub_full}, is killed with SIGKILL, starts again on that journal with the same heap, and is drained: nothing
 * lost, every payload intact. Before (payloads on the heap), the send of the batch from message 384 answered 503
 * {@code hub_full} ("its unacked messages take about 24.4 MiB of heap ... past its limit of 24.8 MiB").
 */
class HubBacklogTest {
    private static final int PAYLOAD = 64 << 10;
    private static final int MESSAGES = 11_200; // 700 MiB of payloads
    private static final int BATCH = 8;
    private static final int SENDERS = 4;
    private final HubProbe probe = new HubProbe();

    /** The payload of message {@code n}: its number in the first four bytes, then a pattern of it. */
    private static byte[] payload(int n) {
        byte[] p = new byte[PAYLOAD];
        ByteBuffer.wrap(p).putInt(n);
        for (int k = 4; k < p.length; k++) p[k] = (byte) (n * 31 + k);
        return p;
    }

    private void send(String url, String group, int from, Set<String> accepted) throws Exception {
        StringBuilder body = new StringBuilder("{\"messages\":[");
        List<String> ids = new ArrayList<>();
        for (int n = from; n < from + BATCH; n++) {
            ids.add("b" + n);
            body.append(n > from ? "," : "").append("{\"destination\":\"any@").append(group).append("\",\"id\":\"b").append(n)
                    .append("\",\"payload\":\"").append(Base64.getEncoder().encodeToString(payload(n))).append("\"}");
        }
        HubProbe.Answer a = probe.post(url, "/v1/send", body.append("]}").toString());
        assertEquals(200, a.status(), "the batch from b" + from + " answered " + a.status() + ": " + a.body());
        accepted.addAll(ids);
    }

    @Test
    void aHubWith64MiBOfHeapAcceptsTenTimesItsHeapStartsAgainOnItAndLosesNothing() throws Exception {
        String g = "backlog-" + UUID.randomUUID().toString().substring(0, 8);
        try (HubFixture hub = HubFixture.withHeap("backlog", "-Xmx64m")) {
            try {
                long idle = HubProbe.heapUsedAfterGc(hub.pid());
                Set<String> accepted = ConcurrentHashMap.newKeySet();
                long t0 = System.nanoTime();
                ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
                List<Future<?>> done = new ArrayList<>();
                AtomicInteger next = new AtomicInteger();
                for (int s = 0; s < SENDERS; s++) {
                    done.add(senders.submit(() -> {
                        for (int from; (from = next.getAndAdd(BATCH)) < MESSAGES; ) send(hub.url(), g, from, accepted);
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get();
                senders.shutdown();
                double sendSeconds = (System.nanoTime() - t0) / 1e9;
                long journal = diskBytes(hub.dataDir());
                long full = HubProbe.heapUsedAfterGc(hub.pid());
                System.out.printf("hub -Xmx64m: %d messages of 64 KiB (%d MiB) accepted in %.1f s, no hub_full; journal %d MiB = %.1f x the heap;"
                        + " heap after a full GC %d KiB (idle %d KiB): %d bytes per queued message, %d net of the idle hub%n",
                        accepted.size(), (long) MESSAGES * PAYLOAD >> 20, sendSeconds, journal >> 20, journal / (64.0 * (1 << 20)),
                        full >> 10, idle >> 10, full / accepted.size(), (full - idle) / accepted.size());
                assertEquals(MESSAGES, accepted.size());
                assertTrue(journal > 10L * (64 << 20), "the backlog on disk is " + (journal >> 20) + " MiB: less than 10 x the heap");

                hub.kill();
                long t1 = System.nanoTime();
                hub.start(); // the same heap, the same journal: it must start
                double startSeconds = (System.nanoTime() - t1) / 1e9;
                long restarted = HubProbe.heapUsedAfterGc(hub.pid());
                System.out.printf("hub -Xmx64m killed (SIGKILL) and started on %d unacked messages (%d MiB journal) in %.1f s; heap after a full GC %d KiB%n",
                        accepted.size(), journal >> 20, startSeconds, restarted >> 10);

                Set<String> got = ConcurrentHashMap.newKeySet();
                AtomicInteger duplicates = new AtomicInteger(), corrupt = new AtomicInteger();
                long t2 = System.nanoTime();
                probe.drain(hub.url(), g, MESSAGES, 16, d -> {
                    String id = d.get("id").asText();
                    if (!got.add(id)) duplicates.incrementAndGet();
                    if (!java.util.Arrays.equals(payload(Integer.parseInt(id.substring(1))), Base64.getDecoder().decode(d.get("payload").asText()))) {
                        corrupt.incrementAndGet();
                    }
                });
                Set<String> lost = ConcurrentHashMap.newKeySet();
                lost.addAll(accepted);
                lost.removeAll(got);
                System.out.printf("hub -Xmx64m: sent %d, drained in %.1f s after the restart: lost %d, duplicates %d, payloads not intact %d%n",
                        accepted.size(), (System.nanoTime() - t2) / 1e9, lost.size(), duplicates.get(), corrupt.get());
                assertTrue(lost.isEmpty(), "lost " + lost.size() + " accepted messages");
                assertEquals(0, corrupt.get(), "payloads delivered not as sent");
            } finally {
                hub.kill();
                deleteAll(hub.dataDir()); // 700 MiB: not left in target/
            }
        }
    }

    private static long diskBytes(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void deleteAll(Path d) throws Exception {
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
