package io.courier.runtime;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits on a condition (never a fixed sleep as synchronisation). */
final class Await {
    private Await() {}

    static boolean until(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(2);
        }
        return true;
    }
}
