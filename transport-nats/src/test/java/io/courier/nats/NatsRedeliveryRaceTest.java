package io.courier.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * C15 on nats-server before the fix of nats-io/nats-server#5305 (2.9.x, the version of this project): when a
 * redelivery becomes due at the instant the only waiting pull request of its consumer expires, the server drops the
 * redelivery (it comes back only after AckWait, with one attempt burnt), drops the request without its 408, and
 * rewinds its stream cursor, so that the last message it delivered comes again with {@code deliveredCount = 1}. The
 * receiver must never let its pull requests expire close to a redelivery it asked for (nak with delay).
 *
 * <p>Each round nacks A with a delay of about the poll wait and polls at once, so that without the guard the pull
 * request expires within a millisecond or two of A's redelivery; B stays unacked (the message the rewound cursor
 * would deliver again). A private server: the race needs a quiet consumer, and the shared one must not be loaded.
 */
class NatsRedeliveryRaceTest {
    private static final Duration POLL = Duration.ofMillis(200);

    @Test
    void aRedeliveryDueWhenThePullRequestExpiresIsNeitherLostNorDuplicated() throws Exception {
        int rounds = Integer.getInteger("courier.nats.raceRounds", 60);
        try (PrivateNatsServer server = new PrivateNatsServer(true);
             Courier courier = Courier.connect("nats://127.0.0.1:" + server.port)) {
            String g = "race-" + UUID.randomUUID().toString().substring(0, 8);
            Receiver r = courier.transport().openReceiver(new ReceiverSpec(g, null, 16, Duration.ofSeconds(15)));
            try {
                for (int round = 0; round < rounds; round++) {
                    Message a = Message.to(Destination.any(g)).id(g + "-a" + round).payload("A").build();
                    Message b = Message.to(Destination.any(g)).id(g + "-b" + round).payload("B").build();
                    courier.send(List.of(a, b)).get(30, TimeUnit.SECONDS);
                    List<Received> first = receive(r, 2, Duration.ofSeconds(10));
                    Received ra = byId(first, a.id()), rb = byId(first, b.id());
                    assertEquals(1, ra.attempt());
                    Thread.sleep(POLL.toMillis() + 150); // every pull request of the receiver is over (the next receive reads their 408s first)

                    long offsetMicros = (round % 21 - 10) * 200L; // -2 ms .. +2 ms around the request's expiry
                    r.nack(List.of(ra), POLL.plusNanos(TimeUnit.MICROSECONDS.toNanos(offsetMicros)));
                    List<Received> again = new ArrayList<>();
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
                    boolean poll = true;
                    while (System.nanoTime() < until && again.stream().noneMatch(x -> x.message().id().equals(a.id()))) {
                        again.addAll(r.receive(16, poll ? POLL : Duration.ofMillis(100)));
                        poll = false;
                    }
                    for (Received x : again) {
                        if (x.message().id().equals(b.id())) {
                            fail("round " + round + " (offset " + offsetMicros + " us): B delivered again with attempt " + x.attempt()
                                    + " while its first delivery is unsettled (the server rewound its cursor)");
                        }
                    }
                    Received a2 = again.stream().filter(x -> x.message().id().equals(a.id())).findFirst().orElse(null);
                    assertTrue(a2 != null, "round " + round + " (offset " + offsetMicros + " us): A's redelivery after a nak of "
                            + POLL.toMillis() + " ms did not come within 1.5 s (lost by the server: it would come after AckWait)");
                    assertEquals(2, a2.attempt(), "round " + round + ": attempt of A's redelivery");
                    r.ack(List.of(a2, rb));
                }
            } finally {
                r.close();
            }
        }
    }

    private static Received byId(List<Received> got, String id) {
        return got.stream().filter(x -> x.message().id().equals(id)).findFirst().orElseThrow(() -> new AssertionError(id + " not in " + got));
    }

    private static List<Received> receive(Receiver r, int n, Duration within) throws InterruptedException {
        List<Received> got = new ArrayList<>();
        long until = System.nanoTime() + within.toNanos();
        while (got.size() < n && System.nanoTime() < until) got.addAll(r.receive(n - got.size(), POLL));
        assertEquals(n, got.size(), "received " + got);
        return got;
    }
}
