package io.courier.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Figures of the hub on this machine (a child-JVM hub, fsync on every answered send): durable end-to-end
 * throughput with one producer and one consumer (1 KiB messages), latency at 500 msg/s (send to handler, measured
 * from the scheduled send time, so that a stall is not hidden: coordinated omission corrected), fsyncs per send,
 * and the hub's RSS with {@code courier.bench.idle} idle long-poll connections. Not part of the normal build (the
 * name does not end in Test); run it with
 * {@code ./mvnw -pl transport-http -am verify -Dtest=HubThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class HubThroughputBenchmark {
    private static final int MESSAGES = Integer.getInteger("courier.bench.messages", 100_000);
    private static final int IDLE = Integer.getInteger("courier.bench.idle", 10_000);
    /** Which parts run: {@code throughput} (with latency), {@code idle}, or both (the default). */
    private static final String PARTS = System.getProperty("courier.bench.parts", "throughput,idle");
    private static final byte[] PAYLOAD = new byte[1024];
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void figures() throws Exception {
        if (PARTS.contains("throughput")) {
            HubFixture hub = new HubFixture("bench");
            try (Courier c = Courier.connect(hub.url())) {
                latency(c, 500, 5);
                for (int round = 1; round <= 3; round++) throughput(c, hub, round);
                latency(c, 500, 10);
            }
            hub.close();
        }
        if (!PARTS.contains("idle")) return;
        System.setProperty("courier.hub.xmx", "-Xmx1g"); // the hub accepts maxMemory / 64 KiB connections
        HubFixture fresh = new HubFixture("bench-idle");
        idleConnections(fresh);
        fresh.close();
    }

    private static void throughput(Courier c, HubFixture hub, int round) throws Exception {
        String g = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        CountDownLatch all = new CountDownLatch(MESSAGES);
        Subscription sub = c.subscribe(SubscriptionOptions.group(g).concurrency(16).prefetch(2_000).build(), d -> all.countDown());
        JsonNode before = stats(hub);
        long t0 = System.nanoTime();
        Semaphore window = new Semaphore(5_000);
        List<CompletableFuture<Void>> fs = new ArrayList<>(MESSAGES);
        for (int i = 0; i < MESSAGES; i++) {
            window.acquire();
            CompletableFuture<Void> f = c.send(Message.to("any@" + g).payload(PAYLOAD).build());
            f.whenComplete((v, e) -> window.release());
            fs.add(f);
        }
        CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        double produce = MESSAGES / ((System.nanoTime() - t0) / 1e9);
        all.await(5, TimeUnit.MINUTES);
        double secs = (System.nanoTime() - t0) / 1e9;
        JsonNode after = stats(hub);
        long fsyncs = after.path("journal").path("fsyncs").asLong() - before.path("journal").path("fsyncs").asLong();
        sub.close();
        System.out.printf("round %d: %d x 1 KiB, 1 producer, 1 consumer: produce %.0f msg/s, end-to-end %.0f msg/s, %d fsyncs (%.0f/s, %.1f sends per fsync)%n",
                round, MESSAGES, produce, MESSAGES / secs, fsyncs, fsyncs / secs, (double) MESSAGES / Math.max(1, fsyncs));
    }

    private static void latency(Courier c, int rate, int seconds) throws Exception {
        String g = "bench-lat-" + UUID.randomUUID().toString().substring(0, 8);
        int n = rate * seconds;
        long[] lat = new long[n];
        long[] sendLat = new long[n];
        ConcurrentHashMap<String, Long> scheduled = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(n);
        Subscription sub = c.subscribe(SubscriptionOptions.group(g).concurrency(4).build(), d -> {
            Long at = scheduled.get(d.message().id());
            if (at != null) lat[done.getAndIncrement() % n] = System.nanoTime() - at;
            all.countDown();
        });
        Thread.sleep(500);
        long start = System.nanoTime();
        long interval = 1_000_000_000L / rate;
        for (int i = 0; i < n; i++) {
            long at = start + i * interval;
            long wait = at - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            String id = "l" + i;
            scheduled.put(id, at);
            int k = i;
            c.send(Message.to("any@" + g).id(id).payload(PAYLOAD).build()).whenComplete((v, e) -> sendLat[k] = System.nanoTime() - at);
        }
        all.await(2, TimeUnit.MINUTES);
        sub.close();
        long[] sends = sendLat.clone();
        Arrays.sort(sends);
        System.out.printf("send (durable) at %d msg/s: p50 %.2f ms, p99 %.2f ms%n", rate, sends[n / 2] / 1e6, sends[(int) (n * 0.99)] / 1e6);
        long[] sorted = Arrays.copyOf(lat, Math.min(n, done.get()));
        Arrays.sort(sorted);
        System.out.printf("latency at %d msg/s for %d s (send to handler, from the scheduled time): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                rate, seconds, sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    private static void idleConnections(HubFixture hub) throws Exception {
        long rssBefore = rssKiB(hub.pid());
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
        for (int i = 0; i < IDLE; i++) {
            String body = "{\"session\":\"idle-" + i + "\",\"group\":\"idle-bench\",\"member\":\"w" + i + "\",\"waitMs\":30000}";
            polls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(hub.url() + "/v1/receive")).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.currentTimeMillis() + 25_000;
        int sessions = 0;
        while (System.currentTimeMillis() < deadline) {
            try {
                sessions = stats(hub).path("sessions").asInt();
            } catch (java.io.IOException e) {
                System.out.println("stats refused while the hub is at its connection cap: " + e.getMessage());
            }
            if (sessions >= IDLE) break;
            Thread.sleep(200);
        }
        long rss = rssKiB(hub.pid());
        System.out.printf("idle long-polls: %d sessions waiting, hub RSS %d MiB (before: %d MiB)%n", sessions, rss >> 10, rssBefore >> 10);
        if (Boolean.getBoolean("courier.bench.histogram")) {
            Process h = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(hub.pid()), "GC.class_histogram")
                    .redirectErrorStream(true).start();
            String out = new String(h.getInputStream().readAllBytes());
            out.lines().limit(25).forEach(System.out::println);
        }
        for (CompletableFuture<HttpResponse<String>> p : polls) p.cancel(true);
    }

    private static long rssKiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    private static JsonNode stats(HubFixture hub) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(hub.url() + "/v1/stats")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }
}
