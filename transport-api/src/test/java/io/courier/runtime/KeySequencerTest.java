package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeySequencerTest {
    @Test
    void c9_oneItemOfAKeyRunsAtATimeAndTheRestFollowInArrivalOrder() {
        KeySequencer<String> keys = new KeySequencer<>();
        assertTrue(keys.admit("k", "a"));
        assertFalse(keys.admit("k", "b"));
        assertFalse(keys.admit("k", "c"));
        assertTrue(keys.admit("other", "x"));
        assertEquals("b", keys.finished("k"));
        assertEquals("c", keys.finished("k"));
        assertNull(keys.finished("k"));
        assertEquals(1, keys.busyKeys());
        assertTrue(keys.admit("k", "d"), "a free key admits at once");
    }

    @Test
    void itemsWithoutAKeyNeverWait() {
        KeySequencer<String> keys = new KeySequencer<>();
        assertTrue(keys.admit(null, "a"));
        assertTrue(keys.admit(null, "b"));
        assertNull(keys.finished(null));
        assertEquals(0, keys.busyKeys());
    }
}
