package io.courier.conformance;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits on a condition instead of sleeping a fixed time: for the suite's fixtures and the adapters' own tests. */
public final class Await {
    private Await() {}

    /** Polls {@code condition} every 20 ms until it holds (true) or {@code timeout} passed (false). */
    public static boolean until(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }
}
