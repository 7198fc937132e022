package io.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.courier.conformance.Collector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What SQS bills: the API calls (HTTP attempts, counted by {@link ApiTrace}) for 10,000 messages end to end, sent
 * in batches of 50 by 4 senders and handled by one subscription of concurrency 8, as in the suite's loss tests.
 * Writes the counts per operation to {@code target/sqs-api-calls.md} and keeps them under the README's figure.
 */
class SqsApiCallsTest {
    private static final int N = 10_000;

    @BeforeAll
    static void broker() { SqsFixture.requireBroker(); }

    @Test
    void tenThousandMessagesEndToEndCostAboutOneCallEach() throws Exception {
        String g = "sqs-calls-" + UUID.randomUUID().toString().substring(0, 8);
        try (Courier c = Courier.connect(new SqsFixture().url())) {
            Collector col = new Collector();
            ApiTrace.reset();
            long t0 = System.nanoTime();
            Subscription s = c.subscribe(SubscriptionOptions.group(g).concurrency(8).pollWait(Duration.ofMillis(200)).build(), col.as("m"));
            List<CompletableFuture<Void>> senders = new ArrayList<>();
            for (int sender = 0; sender < 4; sender++) {
                int first = sender * 50;
                senders.add(CompletableFuture.runAsync(() -> {
                    for (int i = first; i < N; i += 200) {
                        List<Message> batch = IntStream.range(i, Math.min(N, i + 50))
                                .mapToObj(j -> Message.to(Destination.any(g)).id(g + "-" + j).payload(new byte[1024]).build()).toList();
                        c.send(batch).join();
                    }
                }));
            }
            CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            List<String> ids = IntStream.range(0, N).mapToObj(j -> g + "-" + j).toList();
            Set<String> missing = col.awaitAll(ids, Duration.ofMinutes(3));
            double seconds = (System.nanoTime() - t0) / 1e9;
            s.close();
            Map<String, Long> calls = ApiTrace.attempts();
            long total = calls.values().stream().mapToLong(Long::longValue).sum();
            StringBuilder md = new StringBuilder("| operation | calls for " + N + " messages |\n| --- | --- |\n");
            calls.forEach((op, n) -> md.append("| ").append(op).append(" | ").append(n).append(" |\n"));
            md.append(String.format("| **total** | **%d** (%.2f per message; %.1f s, %.0f msg/s end to end) |%n", total, (double) total / N, seconds, N / seconds));
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/sqs-api-calls.md"), md);
            System.out.print(md);
            assertTrue(missing.isEmpty(), "lost " + missing.size() + " messages");
            assertTrue(total <= N, "more than 1 API call per message (acks no longer batched?): " + calls);
        }
    }
}
