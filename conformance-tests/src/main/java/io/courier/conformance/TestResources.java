package io.courier.conformance;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What each test opened (subscriptions, receivers, Couriers, proxies, child processes …), closed in reverse order when
 * the test ends. Kept per test thread, so that tests running side by side each close only their own; anything added
 * outside a test's own thread is closed with the suite.
 */
final class TestResources {
    private final ThreadLocal<List<AutoCloseable>> ofThisTest = new ThreadLocal<>();
    private final List<AutoCloseable> ofTheSuite = new CopyOnWriteArrayList<>();

    /** Called before each test, on its thread. */
    void begin() { ofThisTest.set(new CopyOnWriteArrayList<>()); }

    /** Closes {@code c} when the current test ends (or, outside a test's thread, with the suite). */
    void add(AutoCloseable c) {
        List<AutoCloseable> own = ofThisTest.get();
        (own != null ? own : ofTheSuite).add(c);
    }

    /** Called after each test, on its thread: closes what it opened, last first; best effort. */
    void end() {
        List<AutoCloseable> own = ofThisTest.get();
        ofThisTest.remove();
        if (own != null) closeAll(own);
    }

    /** Called when the suite ends. */
    void endSuite() { closeAll(ofTheSuite); }

    private static void closeAll(List<AutoCloseable> list) {
        List<AutoCloseable> all = new ArrayList<>(list);
        list.clear();
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            try { c.close(); } catch (Exception ignored) { /* best effort */ }
        }
    }
}
