package io.courier.http;

import com.sun.net.httpserver.HttpServer;
import io.courier.Destination;
import io.courier.Message;
import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/**
 * Push throughput and latency (not in the normal build): an embedded hub pushes 1 KiB messages to a JDK HTTP endpoint
 * in the same JVM that verifies every signature and answers 200.
 * {@code ./mvnw -pl transport-http -am verify -Dtest=PushBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 */
class PushBenchmark {
    @Test
    void pushThroughputAndLatency() throws Exception {
        int n = Integer.getInteger("courier.bench.push.messages", 20_000);
        int concurrency = Integer.getInteger("courier.bench.push.concurrency", 16);
        String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString("bench-secret-bench-secret".getBytes());
        WebhookVerifier verifier = new WebhookVerifier(secret);
        AtomicLongArray latency = new AtomicLongArray(n);
        AtomicInteger bad = new AtomicInteger(), seen = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(n);
        HttpServer endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        endpoint.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        endpoint.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            var h = ex.getRequestHeaders();
            try {
                verifier.verify(h.getFirst("webhook-id"), h.getFirst("webhook-timestamp"), h.getFirst("webhook-signature"), body);
            } catch (WebhookVerifier.Refused e) {
                bad.incrementAndGet();
            }
            int i = Integer.parseInt(h.getFirst("courier-message-id").substring(1));
            long sent = ByteBuffer.wrap(body).getLong();
            if (latency.compareAndSet(i, 0, System.nanoTime() - sent)) all.countDown();
            seen.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        endpoint.start();
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "pushbench-" + UUID.randomUUID())))) {
            String g = "bench";
            HttpClient http = HttpClient.newHttpClient();
            http.send(HttpRequest.newBuilder(URI.create(hub.url() + "/v1/push")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"group\":\"" + g + "\",\"url\":\"http://127.0.0.1:" + endpoint.getAddress().getPort() + "/\",\"secret\":\"" + secret
                            + "\",\"concurrency\":" + concurrency + "}")).build(), HttpResponse.BodyHandlers.ofString());
            long t0 = System.nanoTime();
            List<java.util.concurrent.CompletableFuture<Void>> sends = new ArrayList<>();
            for (int i = 0; i < n; i += 100) {
                List<Message> batch = new ArrayList<>();
                for (int j = i; j < Math.min(n, i + 100); j++) {
                    byte[] p = new byte[1024];
                    ByteBuffer.wrap(p).putLong(System.nanoTime());
                    batch.add(Message.to(Destination.any(g)).id("m" + j).payload(p).build());
                }
                sends.add(hub.send(batch));
                if (sends.size() > 20) sends.remove(0).join();
            }
            sends.forEach(java.util.concurrent.CompletableFuture::join);
            boolean done = all.await(300, TimeUnit.SECONDS);
            double secs = (System.nanoTime() - t0) / 1e9;
            long[] l = new long[n];
            for (int i = 0; i < n; i++) l[i] = latency.get(i);
            Arrays.sort(l);
            System.out.printf("PUSH BENCH: %d msgs of 1 KiB, concurrency %d: %s in %.1f s = %.0f msg/s; send-to-endpoint p50 %.1f ms, p99 %.1f ms, max %.1f ms; pushes %d (bad signatures %d)%n",
                    n, concurrency, done ? "all delivered" : "NOT all delivered", secs, n / secs, l[n / 2] / 1e6, l[(int) (n * 0.99)] / 1e6, l[n - 1] / 1e6, seen.get(), bad.get());
        } finally {
            endpoint.stop(0);
        }
    }
}
