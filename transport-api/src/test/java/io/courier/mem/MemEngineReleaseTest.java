package io.courier.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link MemEngine#release}: a lease given back undelivered (a push not taken) does not count as an attempt (C15). */
class MemEngineReleaseTest {
    private static final String G = "push-release";

    @Test
    void aReleasedLeaseIsAvailableAtOnceWithTheSameAttemptAndAStaleOneChangesNothing() {
        AtomicLong now = new AtomicLong(1_000);
        MemEngine engine = new MemEngine(now::get);
        engine.send(List.of(Message.to("any@" + G).id("a").payload(new byte[0]).build()));
        MemEngine.Delivered first = engine.poll(G, null, "busy", 1, 30_000).get(0);
        assertEquals(1, first.attempt());
        assertTrue(engine.release(first));
        assertFalse(engine.release(first), "a lease is released once");
        MemEngine.Delivered again = engine.poll(G, null, "idle", 1, 30_000).get(0); // at once: the clock did not move
        assertEquals(1, again.attempt(), "the released delivery counted as an attempt");
        assertFalse(engine.release(first), "a stale lease releases nothing");
        assertTrue(engine.nack(again, 0));
        assertEquals(2, engine.poll(G, null, "idle", 1, 30_000).get(0).attempt(), "a nack counts, unlike a release");
    }
}
