package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.SubscriptionOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AdaptivePrefetchTest {
    private static final long FAST = 10_000; // 10 µs per message
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    /** Handles a full window of messages taking {@code nanos} each, then a receive that fills the window. */
    private static void turnOver(AdaptivePrefetch p, long nanos) {
        int w = p.window();
        for (int i = 0; i < w; i++) p.handled(nanos);
        p.received(w, w, w);
    }

    @Test
    void growsByDoublingWhileABacklogKeepsTheWindowFull() {
        AdaptivePrefetch p = AdaptivePrefetch.adaptive(16, 512, 1, DEADLINE);
        assertEquals(16, p.window());
        turnOver(p, FAST);
        assertEquals(32, p.window());
        turnOver(p, FAST);
        assertEquals(64, p.window());
    }

    @Test
    void growsWhenAReceiveGotAllItAskedForThoughFastHandlersAlreadySettledThem() {
        AdaptivePrefetch p = AdaptivePrefetch.adaptive(16, 512, 1, DEADLINE);
        for (int i = 0; i < 16; i++) p.handled(FAST);
        p.received(16, 16, 0);
        assertEquals(32, p.window());
    }

    @Test
    void stopsAtTheCap() {
        AdaptivePrefetch p = AdaptivePrefetch.adaptive(16, 512, 1, DEADLINE);
        for (int i = 0; i < 20; i++) turnOver(p, FAST);
        assertEquals(512, p.window());
    }

    @Test
    void doesNotGrowWithoutABacklogOrBeforeAWindowWasHandled() {
        AdaptivePrefetch p = AdaptivePrefetch.adaptive(16, 512, 1, DEADLINE);
        for (int i = 0; i < 100; i++) p.handled(FAST);
        p.received(16, 3, 3); // the broker had only 3: the window is not the limit
        assertEquals(16, p.window());
        p.received(16, 0, 16); // nothing arrived
        assertEquals(16, p.window());
        AdaptivePrefetch fresh = AdaptivePrefetch.adaptive(16, 512, 1, DEADLINE);
        fresh.received(16, 16, 16); // full, but no handler has finished yet
        assertEquals(16, fresh.window());
    }

    @Test
    void aSlowHandlerBoundsTheWindowToHalfTheAckDeadline() {
        // 200 ms per message, 2 s deadline: a buffered delivery may wait 1 s, so 5 messages (concurrency 1)
        AdaptivePrefetch p = AdaptivePrefetch.adaptive(16, 512, 1, Duration.ofSeconds(2));
        p.handled(200_000_000);
        assertEquals(5, p.window());
        for (int i = 0; i < 10; i++) turnOver(p, 200_000_000);
        assertEquals(5, p.window());
        // 1 s per message with the 30 s default deadline and concurrency 4: 4 × 15 s / 1 s = 60
        AdaptivePrefetch q = AdaptivePrefetch.adaptive(16, 512, 4, DEADLINE);
        for (int i = 0; i < 20; i++) turnOver(q, 1_000_000_000);
        assertTrue(q.window() <= 60, "window " + q.window());
        assertEquals(32, q.window()); // 64 would pass the bound of 60
    }

    @Test
    void neverBelowConcurrency() {
        AdaptivePrefetch p = AdaptivePrefetch.adaptive(16, 512, 8, Duration.ofSeconds(2));
        p.handled(10_000_000_000L); // 10 s per message: the bound is 0
        assertEquals(8, p.window());
    }

    @Test
    void shrinksWhenTheHandlerSlowsDownAndRegrowsWhenItRecovers() {
        AdaptivePrefetch p = AdaptivePrefetch.adaptive(16, 512, 1, Duration.ofSeconds(2));
        for (int i = 0; i < 10; i++) turnOver(p, FAST);
        assertEquals(512, p.window());
        for (int i = 0; i < 200; i++) p.handled(100_000_000); // 100 ms: bound 10
        assertTrue(p.window() <= 10, "window " + p.window());
        int shrunk = p.window();
        for (int i = 0; i < 200; i++) turnOver(p, FAST);
        assertTrue(p.window() > shrunk, "regrew from " + shrunk + " to " + p.window());
        assertEquals(512, p.window());
    }

    @Test
    void aFixedWindowNeverChanges() {
        AdaptivePrefetch p = AdaptivePrefetch.fixed(7);
        for (int i = 0; i < 10; i++) turnOver(p, FAST);
        p.handled(60_000_000_000L);
        assertEquals(7, p.window());
    }

    @Test
    void rejectsAStartOutsideConcurrencyToCap() {
        assertThrows(IllegalArgumentException.class, () -> AdaptivePrefetch.adaptive(4, 512, 8, DEADLINE));
        assertThrows(IllegalArgumentException.class, () -> AdaptivePrefetch.adaptive(600, 512, 1, DEADLINE));
    }

    @Test
    void optionsWithoutPrefetchAdaptUpToTheCapAndAnExplicitPrefetchIsFixed() {
        SubscriptionOptions d = SubscriptionOptions.group("g").build();
        assertTrue(d.adaptivePrefetch());
        assertEquals(SubscriptionOptions.ADAPTIVE_PREFETCH_CAP, d.prefetch());
        assertEquals(16, SubscriptionOptions.startPrefetch(1));
        assertEquals(600, SubscriptionOptions.group("g").concurrency(300).build().prefetch());
        SubscriptionOptions fixed = SubscriptionOptions.group("g").prefetch(16).build();
        assertEquals(16, fixed.prefetch());
        assertTrue(!fixed.adaptivePrefetch());
        assertTrue(fixed.toBuilder().build().equals(fixed) && d.toBuilder().build().equals(d));
    }
}
