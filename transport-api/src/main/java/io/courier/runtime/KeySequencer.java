package io.courier.runtime;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Ordering keys (C9): at most one item of a key is running; the others wait, in arrival order, until it finishes.
 * Items without a key never wait. Thread-safe.
 *
 * @param <T> what is sequenced (the runtime's deliveries)
 */
final class KeySequencer<T> {
    /** Keys with an item running, and the items waiting behind it. */
    private final Map<String, ArrayDeque<T>> busy = new HashMap<>();

    /** Whether {@code item} may start now; if not, it is queued behind the running item of {@code key}. */
    synchronized boolean admit(String key, T item) {
        if (key == null) return true;
        ArrayDeque<T> waiting = busy.get(key);
        if (waiting != null) {
            waiting.add(item);
            return false;
        }
        busy.put(key, new ArrayDeque<>());
        return true;
    }

    /** The running item of {@code key} finished: returns the next one of the key (now running), or null (key free). */
    synchronized T finished(String key) {
        if (key == null) return null;
        ArrayDeque<T> waiting = busy.get(key);
        T next = waiting == null ? null : waiting.poll();
        if (next == null) busy.remove(key);
        return next;
    }

    /** Keys with an item running. */
    synchronized int busyKeys() { return busy.size(); }
}
