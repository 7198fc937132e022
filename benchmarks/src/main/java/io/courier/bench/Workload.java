package io.courier.bench;

import java.lang.management.ManagementFactory;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The two measurements of a driver: throughput (N messages as fast as the producer goes, at most 1,000 in flight)
 * and latency (messages paced at a fixed rate; latency from the <em>intended</em> send time to handler entry, so a
 * stalled sender does not hide its stall: coordinated omission corrected). Both start once the consumer is ready
 * (its group joined) and check that nothing was lost.
 */
final class Workload {
    /** What a consumer saw: distinct sequence numbers, duplicates, the last arrival and a latency histogram. */
    static final class Tally implements BenchDriver.Sink {
        final BitSet seen = new BitSet();
        final AtomicLong duplicates = new AtomicLong();
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        volatile long lastArrival;
        private int distinct;

        @Override
        public synchronized void received(byte[] payload) {
            long now = System.nanoTime();
            int seq = (int) BenchDriver.seq(payload);
            if (seen.get(seq)) { duplicates.incrementAndGet(); return; }
            seen.set(seq);
            distinct++;
            lastArrival = now;
            latency.recordValue(Math.max(0, Math.min(now - BenchDriver.sentNanos(payload), latency.getHighestTrackableValue())));
            notifyAll();
        }

        synchronized boolean awaitDistinct(int n, long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (distinct < n) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) return false;
                wait(Math.min(left, 200));
            }
            return true;
        }

        synchronized int distinct() { return distinct; }
    }

    record Throughput(double produceMsgPerSec, double e2eMsgPerSec, long lost, long duplicates, double cpuUsPerMsg, double allocKiBPerMsg) {}

    record Latency(Histogram histogram, double achievedRate, long lost) {}

    static Throughput throughput(BenchDriver d, int n, int size, Progress progress) throws Exception {
        Tally tally = new Tally();
        d.startConsumer(tally);
        awaitReady(d);
        long cpu0 = processCpuNanos();
        long alloc0 = allocatedBytes();
        Semaphore inFlight = new Semaphore(1_000);
        long t0 = System.nanoTime();
        CompletableFuture<?>[] fs = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            fs[i] = d.send(BenchDriver.payload(size, System.nanoTime(), i)).whenComplete((v, e) -> inFlight.release());
            if ((i & 1023) == 0) progress.update(i, n);
        }
        CompletableFuture.allOf(fs).get(5, TimeUnit.MINUTES);
        long t1 = System.nanoTime();
        tally.awaitDistinct(n, Math.max(60_000, n / 50L));
        long cpu = processCpuNanos() - cpu0;
        long alloc = allocatedBytes() - alloc0;
        long end = tally.lastArrival;
        long lost = n - tally.distinct();
        return new Throughput(n / secs(t1 - t0), tally.distinct() / secs(end - t0), lost, tally.duplicates.get(), cpu / 1000.0 / n,
                alloc / 1024.0 / n);
    }

    static Latency latency(BenchDriver d, int rate, int seconds, int size, Progress progress) throws Exception {
        Tally tally = new Tally();
        d.startConsumer(tally);
        awaitReady(d);
        int n = rate * seconds;
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 100_000_000L;
        CompletableFuture<?>[] fs = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            long intended = start + i * interval;
            long wait = intended - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            fs[i] = d.send(BenchDriver.payload(size, intended, i));
            if ((i & 255) == 0) progress.update(i, n);
        }
        long lastSend = System.nanoTime();
        CompletableFuture.allOf(fs).get(5, TimeUnit.MINUTES);
        tally.awaitDistinct(n, 60_000);
        return new Latency(tally.latency, n / secs(lastSend - start), n - tally.distinct());
    }

    private static void awaitReady(BenchDriver d) throws InterruptedException {
        if (!d.awaitConsumerReady(java.time.Duration.ofSeconds(60))) throw new IllegalStateException("the consumer was not ready within 60 s");
    }

    private static double secs(long nanos) { return Math.max(1, nanos) / 1e9; }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
    }

    /** Bytes allocated by the JVM's live threads so far (HotSpot); 0 where the platform cannot tell. */
    private static long allocatedBytes() {
        return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemoryEnabled()
                ? t.getTotalThreadAllocatedBytes() : 0;
    }

    /** A progress line on stderr. */
    interface Progress {
        void update(int done, int total);
    }

    private Workload() {}
}
