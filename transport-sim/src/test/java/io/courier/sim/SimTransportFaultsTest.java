package io.courier.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.InvalidUrlException;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code sim://} through {@code Courier.connect} and the normal runtime, faults on. */
class SimTransportFaultsTest {

    @Test
    void withDuplicatesAndLostAcksNothingIsLostAndDuplicatesAreVisible() throws Exception {
        String group = "sim-" + UUID.randomUUID().toString().substring(0, 8);
        try (Courier c = Courier.connect("sim://faults-test?seed=11&dup=0.1&drop-ack=0.05&reorder=0.2&delay=0-10ms&disconnect=0.01&crash=0.01&trace=true")) {
            SimTransport t = assertInstanceOf(SimTransport.class, c.transport());
            Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
            c.subscribe(SubscriptionOptions.group(group).concurrency(4).ackDeadline(Duration.ofSeconds(1)).pollWait(Duration.ofMillis(100))
                    .retry(RetryPolicy.immediate(100)).build(), d -> seen.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet());
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                Message m = Message.to("any@" + group).id(group + "-" + i).payload("x" + i).build();
                ids.add(m.id());
                c.send(m).join();
            }
            long deadline = System.currentTimeMillis() + 60_000;
            while (!seen.keySet().containsAll(ids) && System.currentTimeMillis() < deadline) Thread.sleep(20);
            Thread.sleep(2_500); // lost acks come back after the 1 s ack deadline
            Set<String> missing = new java.util.HashSet<>(ids);
            missing.removeAll(seen.keySet());
            assertTrue(missing.isEmpty(), "lost " + missing.size());
            int duplicates = seen.values().stream().mapToInt(AtomicInteger::get).sum() - ids.size();
            System.out.println("sim:// via runtime: 1000 messages, " + duplicates + " duplicate deliveries, faults " + t.trace().faultCounts());
            assertTrue(duplicates > 0, "with dup=0.1 and drop-ack=0.05 the handler must see duplicates (the at-least-once window C5 allows)");
            assertTrue(t.trace().faultCounts().keySet().containsAll(Set.of("dup", "drop-ack")), t.trace().faultCounts().toString());
        }
    }

    @Test
    void parametersAreValidatedByTheFacade() {
        InvalidUrlException e = assertThrows(InvalidUrlException.class, () -> Courier.connect("sim://?seed=1&dup=2"));
        assertTrue(e.getMessage().contains("dup"), e.getMessage());
        InvalidUrlException u = assertThrows(InvalidUrlException.class, () -> Courier.connect("sim://?duplicates=0.1"));
        assertTrue(u.getMessage().contains("drop-ack"), "lists the valid parameters: " + u.getMessage());
        try (Courier c = Courier.connect("sim://?seed=42&dup=0.05&reorder=0.1&delay=0-200ms&drop-ack=0.01&disconnect=0.001&crash=0.01")) {
            assertEquals(42, ((SimTransport) c.transport()).faults().seed());
        }
    }
}
