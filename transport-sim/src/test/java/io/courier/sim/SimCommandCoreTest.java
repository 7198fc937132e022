package io.courier.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What {@code ./courier sim --seed 42 --tasks 1000} prints. */
class SimCommandCoreTest {

    static String run(long seed, int tasks) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = SimCommandCore.run(seed, tasks, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(0, code, buf.toString(StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
    }

    static String hash(String out) {
        String last = out.lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.matches("trace-sha256 [0-9a-f]{64}"), last);
        return last;
    }

    @Test
    void printsCountsAndTheSameTraceHashForTheSameSeed() {
        long t0 = System.nanoTime();
        String a = run(42, 1_000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.print(a);
        System.out.println("courier sim --seed 42 --tasks 1000: " + ms + " ms");
        assertTrue(a.contains("tasks completed"), a);
        assertEquals(hash(a), hash(run(42, 1_000)));
        assertNotEquals(hash(a), hash(run(43, 1_000)));
    }
}
