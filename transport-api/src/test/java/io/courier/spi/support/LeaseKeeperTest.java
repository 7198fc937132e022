package io.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One receiver's upkeep blocked on a broker call does not stall another's. */
class LeaseKeeperTest {
    @Test
    void aBlockedTaskDoesNotStallAnother() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        CountDownLatch otherRan = new CountDownLatch(3);
        try (LeaseKeeper.Handle slow = LeaseKeeper.shared().every(Duration.ofMillis(10), "slow", () -> {
                 blocked.countDown();
                 try { unblock.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
             });
             LeaseKeeper.Handle other = LeaseKeeper.shared().every(Duration.ofMillis(10), "other", otherRan::countDown)) {
            assertTrue(blocked.await(10, TimeUnit.SECONDS));
            assertTrue(otherRan.await(10, TimeUnit.SECONDS), "the other receiver's upkeep kept running");
        } finally {
            unblock.countDown();
        }
    }
}
