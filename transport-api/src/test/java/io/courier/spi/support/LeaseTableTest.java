package io.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The lease table on a clock the test moves: no sleeps. */
class LeaseTableTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final LeaseTable<String> table = new LeaseTable<>(clock::get);

    private void advance(Duration d) { clock.addAndGet(d.toNanos()); }

    private List<String> sweep() {
        List<String> out = new ArrayList<>();
        table.sweep(out::add);
        return out;
    }

    @Test
    void settlesOnceAndIgnoresADuplicate() {
        assertTrue(table.register("a", Duration.ofSeconds(1)));
        assertTrue(table.settle("a"));
        assertFalse(table.settle("a"));
        assertFalse(table.contains("a"));
    }

    @Test
    void refusesASecondRegistration() {
        assertTrue(table.register("a", Duration.ofSeconds(1)));
        assertFalse(table.register("a", Duration.ofSeconds(9)));
        advance(Duration.ofSeconds(1));
        assertEquals(List.of("a"), sweep());
    }

    @Test
    void C6_expiredLeaseIsSweptOnceAndALateSettlementIsIgnored() {
        table.register("a", Duration.ofSeconds(1));
        table.register("b", Duration.ofSeconds(3));
        advance(Duration.ofMillis(999));
        assertEquals(List.of(), sweep());
        advance(Duration.ofMillis(1));
        assertFalse(table.settle("a"), "expired, not swept yet: the sweep has it");
        assertEquals(List.of("a"), sweep());
        assertEquals(List.of(), sweep());
        assertFalse(table.settle("a"));
        assertTrue(table.settle("b"));
    }

    @Test
    void C16_extendLengthensNeverShortens() {
        table.register("a", Duration.ofSeconds(5));
        assertTrue(table.extend("a", Duration.ofSeconds(1)));
        advance(Duration.ofSeconds(4));
        assertEquals(List.of(), sweep());
        assertTrue(table.extend("a", Duration.ofSeconds(3)));
        advance(Duration.ofSeconds(2));
        assertEquals(List.of(), sweep());
        advance(Duration.ofSeconds(1));
        assertEquals(List.of("a"), sweep());
        assertFalse(table.extend("a", Duration.ofSeconds(3)), "no extension after expiry");
    }

    @Test
    void restartMayShortenARunningLease() {
        table.register("a", Duration.ofSeconds(10));
        assertTrue(table.restart("a", Duration.ofSeconds(1)));
        advance(Duration.ofSeconds(1));
        assertFalse(table.restart("a", Duration.ofSeconds(1)), "expired: not restarted");
        assertEquals(List.of("a"), sweep());
    }

    @Test
    void C13_releaseAllEndsEveryLeaseOnce() {
        table.register("a", Duration.ofSeconds(1));
        table.register("b", Duration.ofSeconds(1));
        advance(Duration.ofSeconds(2));
        assertEquals(List.of("a", "b"), table.releaseAll().stream().sorted().toList());
        assertEquals(List.of(), sweep());
        assertTrue(table.isEmpty());
        assertFalse(table.forget("a"));
    }

    @Test
    void aThrowingCallbackLeavesTheRestForTheNextSweep() {
        table.register("a", Duration.ofSeconds(1));
        table.register("b", Duration.ofSeconds(1));
        advance(Duration.ofSeconds(1));
        try {
            table.sweep(d -> { throw new IllegalStateException("broker down"); });
        } catch (IllegalStateException expected) {
            // the first one reached is gone, the other waits
        }
        assertEquals(1, table.size());
        assertEquals(1, sweep().size());
    }

    @Test
    void concurrentSettlementsAndSweepSettleEachDeliveryExactlyOnce() throws Exception {
        int n = 2_000;
        for (int i = 0; i < n; i++) table.register("d" + i, Duration.ofSeconds(i % 2 == 0 ? 1 : 10));
        advance(Duration.ofSeconds(1)); // the even ones expire
        AtomicInteger won = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try { start.await(); } catch (InterruptedException e) { return; }
                for (int i = 0; i < n; i++) if (table.settle("d" + i)) won.incrementAndGet();
            }));
        }
        threads.add(Thread.ofPlatform().start(() -> {
            try { start.await(); } catch (InterruptedException e) { return; }
            table.sweep(d -> won.incrementAndGet());
        }));
        start.countDown();
        for (Thread t : threads) t.join();
        table.sweep(d -> won.incrementAndGet());
        assertEquals(n, won.get());
        assertTrue(table.isEmpty());
    }
}
