package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AckBatcherTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final List<List<String>> calls = new ArrayList<>();
    private final AckBatcher<String> acks = new AckBatcher<>(3, 5_000_000, now::get, calls::add);

    @Test
    void dueOnceTheBatchIsFull() {
        acks.add("a");
        acks.add("b");
        assertFalse(acks.due());
        acks.add("c");
        assertTrue(acks.due());
        acks.flush();
        assertEquals(List.of(List.of("a", "b", "c")), calls);
        assertFalse(acks.due());
        assertTrue(acks.isEmpty());
    }

    @Test
    void dueOnceTheOldestAckWaitedTheMaximumDelay() {
        acks.add("a");
        now.addAndGet(4_999_999);
        acks.add("b");
        assertFalse(acks.due());
        now.addAndGet(1);
        assertTrue(acks.due(), "the oldest ack's age counts, not the newest's");
        acks.flush();
        acks.add("c");
        assertFalse(acks.due(), "the age restarts with the next burst");
    }

    @Test
    void flushingNothingCallsNothing() {
        acks.flush();
        assertEquals(List.of(), calls);
    }
}
