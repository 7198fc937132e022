package io.courier.nats;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A backlog drains at the pace of the handlers with the default options (concurrency 1, prefetch 16): the receiver
 * pulls again as soon as a settlement frees room, never waiting for the expiry of requests on consumers without
 * work (issue #15, defect 3: it drained at ~95 msg/s). {@code -Dcourier.drain.messages=5000} and
 * {@code -Dcourier.drain.prefetch=500} measure other sizes; the rate is printed.
 */
class NatsBacklogDrainTest {
    private static final String URL = "nats://127.0.0.1:4222";
    private static final int MESSAGES = Integer.getInteger("courier.drain.messages", 2_000);

    @BeforeAll
    static void broker() { NatsFixture.requireBroker(); }

    @Test
    void aBacklogDrainsWithDefaultOptionsWithoutWaitingForPullExpiries() throws Exception {
        Integer prefetch = Integer.getInteger("courier.drain.prefetch");
        double rate = drain(prefetch);
        // the old receiver drained ~640 msg/s here (3.1 s for 2,000), the new one ~3,500: 1,000 msg/s is the bound
        double boundSeconds = MESSAGES / 1_000.0;
        assertTrue(MESSAGES / rate < boundSeconds, String.format("drained %d messages at %.0f msg/s: slower than %.1f s", MESSAGES, rate, boundSeconds));
    }

    private static double drain(Integer prefetch) throws Exception {
        String g = "wtnats-drain-" + UUID.randomUUID();
        try (Courier c = Courier.connect(URL)) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                batch.add(Message.to(Destination.any(g)).payload("m" + i).build());
                if (batch.size() == 500) { c.send(batch).get(60, TimeUnit.SECONDS); batch.clear(); }
            }
            if (!batch.isEmpty()) c.send(batch).get(60, TimeUnit.SECONDS);
            CountDownLatch done = new CountDownLatch(MESSAGES);
            SubscriptionOptions.Builder options = SubscriptionOptions.group(g);
            if (prefetch != null) options.prefetch(prefetch);
            long t0 = System.nanoTime();
            try (Subscription s = c.subscribe(options.build(), d -> done.countDown())) {
                boolean all = done.await(120, TimeUnit.SECONDS);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double rate = (MESSAGES - done.getCount()) / seconds;
                System.out.printf("nats backlog drain: %d messages, prefetch %s, concurrency 1: %.2f s, %.0f msg/s%s%n",
                        MESSAGES, prefetch == null ? "default (16)" : prefetch, seconds, rate, all ? "" : " (not all within 120 s)");
                return rate;
            }
        }
    }
}
