package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import io.courier.SubscriptionOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} of a hub with metrics on: Prometheus text with the counters of a scripted run through it
 * (5 sent, 2 failing once, 1 dead-lettered by the worker), a backlog and an in-flight gauge per group.
 */
class HubMetricsTest {
    private static final int N = 5, K = 2;

    @Test
    void metricsServesPrometheusTextWithTheCountsOfAScriptedRun() throws Exception {
        String g = "obs-metrics-" + UUID.randomUUID().toString().substring(0, 8);
        CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "metrics-" + UUID.randomUUID())),
                new SimpleMeterRegistry());
        try (hub; Courier worker = Courier.connect(hub.url())) {
            worker.subscribe(SubscriptionOptions.group(g).pollWait(Duration.ofMillis(200)).retry(RetryPolicy.immediate(3)).build(), d -> {
                int i = Integer.parseInt(d.message().id());
                if (i == N - 1) throw new NonRetryableException("poison");
                if (i < K && d.attempt() == 1) throw new IllegalStateException("first attempt fails");
            });
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < N; i++) batch.add(Message.to(Destination.any(g)).id(Integer.toString(i)).payload("p").build());
            worker.send(batch).join();
            String deadLetters = "courier_dead_letters_total{courier_dead_letter_reason=\"not_retryable\",messaging_consumer_group_name=\"" + g
                    + "\",messaging_system=\"http\"} 1";
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            HttpResponse<String> r;
            do {
                Thread.sleep(50);
                r = get(hub.url() + "/metrics");
            } while (!(r.body().contains(deadLetters) && value(r.body(), "courier_in_flight", g) == 0) && System.nanoTime() < deadline);
            String text = r.body();
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"), r.headers().toString());
            assertTrue(text.contains(deadLetters), text);
            assertTrue(text.contains("# TYPE messaging_client_sent_messages_total counter\n"), text);
            assertTrue(text.contains("messaging_client_sent_messages_total{error_type=\"\",messaging_destination_name=\"any@" + g
                    + "\",messaging_operation_name=\"send\",messaging_system=\"http\"} " + N + "\n"), text);
            assertTrue(text.contains("messaging_destination_name=\"any@" + g + ".dlq\",messaging_operation_name=\"send\",messaging_system=\"http\"} 1\n"), text);
            assertEquals(N + K, value(text, "messaging_client_consumed_messages_total", g), text);
            assertTrue(text.contains("courier_redeliveries_total{courier_attempt=\"2\",messaging_consumer_group_name=\"" + g
                    + "\",messaging_system=\"http\"} " + K + "\n"), text);
            assertEquals(0, value(text, "courier_backlog", g), text);
            assertEquals(1, value(text, "courier_backlog", g + ".dlq"), text);
            assertEquals(0, value(text, "courier_in_flight", g), text);
        }
    }

    /** The value of the one sample of {@code name} whose group label is {@code group}; -1 if none. */
    private static double value(String text, String name, String group) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains("messaging_consumer_group_name=\"" + group + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
