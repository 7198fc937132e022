package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import io.courier.TransportUnavailableException;
import io.courier.spi.Received;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FetchLoopTest {
    private static Message m(int i) { return Message.to("any@g").id("m" + i).payload("x").build(); }

    @Test
    void c11_asksForNoMoreThanThePrefetchHasRoomFor() throws Exception {
        List<Integer> asked = new CopyOnWriteArrayList<>();
        ScriptedReceiver r = new ScriptedReceiver() {
            @Override public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
                asked.add(max);
                return super.receive(max, wait);
            }
        };
        for (int i = 0; i < 10; i++) r.offer(m(i), 1);
        List<Received> got = new CopyOnWriteArrayList<>();
        AtomicInteger room = new AtomicInteger(3);
        FetchLoop loop = new FetchLoop(r, wait -> Math.max(0, room.get() - got.size()), Duration.ofMillis(20), got::add, "test");
        Thread t = Thread.ofVirtual().start(loop);
        assertTrue(Await.until(() -> got.size() == 3, Duration.ofSeconds(5)));
        room.set(10);
        assertTrue(Await.until(() -> got.size() == 10, Duration.ofSeconds(5)));
        loop.stop();
        t.interrupt();
        t.join(5_000);
        assertEquals(3, asked.get(0));
        assertTrue(asked.stream().allMatch(n -> n > 0 && n <= 10), asked.toString());
    }

    @Test
    void c12_aFailingReceiveIsRetriedUntilTheBrokerAnswersAgain() throws Exception {
        AtomicInteger failures = new AtomicInteger(2);
        ScriptedReceiver r = new ScriptedReceiver() {
            @Override public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
                if (failures.getAndDecrement() > 0) throw new TransportUnavailableException("down (scripted)");
                return super.receive(max, wait);
            }
        };
        r.offer(m(1), 1);
        List<Received> got = new CopyOnWriteArrayList<>();
        FetchLoop loop = new FetchLoop(r, wait -> 5, Duration.ofMillis(20), got::add, "test");
        Thread t = Thread.ofVirtual().start(loop);
        assertTrue(Await.until(() -> got.size() == 1, Duration.ofSeconds(5)), "fetched after two failures (100 + 200 ms backoff)");
        loop.stop();
        t.interrupt();
        t.join(5_000);
        assertTrue(!t.isAlive());
    }
}
