package io.courier.bench;

import io.courier.Courier;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import io.courier.TransportUnavailableException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak run (issue #21; a script, not a CI test): steady load on one transport for a while, the broker restarted by a
 * shell command every so often, and a line per minute of what was sent, handled, duplicated and what the client
 * process holds (RSS, heap after a GC): RSS must stay flat. At the end every message accepted by a send must have
 * been handled: lost is counted, and the run exits 1 when it is not 0.
 * <pre>{@code java -cp … io.courier.bench.Soak URL MINUTES RESTART_EVERY_MINUTES RATE_PER_SECOND 'RESTART COMMAND'}</pre>
 * e.g. {@code scripts/soak nats://127.0.0.1:4222 30 5 500 'scripts/brokers restart nats'}.
 */
public final class Soak {
    private Soak() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: Soak URL MINUTES RESTART_EVERY_MINUTES RATE_PER_SECOND 'RESTART COMMAND'");
            System.exit(2);
        }
        String url = args[0];
        double minutes = Double.parseDouble(args[1]), restartEvery = Double.parseDouble(args[2]);
        int rate = Integer.parseInt(args[3]);
        String restart = args[4];
        String group = "soak-" + UUID.randomUUID().toString().substring(0, 8);
        Ledger ledger = new Ledger();
        AtomicLong refused = new AtomicLong();
        long start = System.currentTimeMillis(), end = start + (long) (minutes * 60_000);
        try (Courier courier = Courier.connect(url)) {
            courier.subscribe(SubscriptionOptions.group(group).concurrency(4).prefetch(64).build(), d -> ledger.handled(d.message().id()));
            Thread sender = Thread.ofPlatform().name("soak-sender").start(() -> send(courier, group, rate, end, ledger, refused));
            System.out.printf("soak of %s: %.0f min, %d msg/s, broker restarted every %.1f min by: %s%n", courier.url(), minutes, rate, restartEvery, restart);
            System.out.println("| minute | accepted | handled | duplicates | refused sends | restarts | RSS MiB | heap after GC MiB |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
            int restarts = 0;
            long nextRestart = start + (long) (restartEvery * 60_000), nextReport = start + 60_000;
            while (System.currentTimeMillis() < end) {
                Thread.sleep(200);
                long now = System.currentTimeMillis();
                if (now >= nextRestart && now < end - 30_000) {
                    int rc = new ProcessBuilder("sh", "-c", restart).inheritIO().start().waitFor();
                    if (rc != 0) System.out.println("restart command exited " + rc);
                    restarts++;
                    nextRestart += (long) (restartEvery * 60_000);
                }
                if (now >= nextReport) {
                    report((now - start) / 60_000, ledger, refused.get(), restarts);
                    nextReport += 60_000;
                }
            }
            sender.join();
            long drainUntil = System.currentTimeMillis() + 180_000;
            while (ledger.lost() > 0 && System.currentTimeMillis() < drainUntil) Thread.sleep(200);
            report(Math.round((System.currentTimeMillis() - start) / 60_000.0), ledger, refused.get(), restarts);
        }
        System.out.printf("soak end: accepted %d, lost %d, duplicates %d, sends refused (TransportUnavailableException, retried) %d%n",
                ledger.accepted(), ledger.lost(), ledger.duplicates(), refused.get());
        System.exit(ledger.lost() == 0 ? 0 : 1);
    }

    /**
     * What was accepted and handled, one bit per message sequence number (the id's suffix): a few KiB for a 30-minute
     * run, so that the heap and RSS the report prints are Courier's, not the bookkeeping's (sets of id strings grew
     * the heap after GC from 13 to 81 MiB over a 30-minute hub soak of 359,200 messages).
     */
    static final class Ledger {
        private final BitSet accepted = new BitSet(), handled = new BitSet();
        private long deliveries;

        synchronized void accepted(String id) { accepted.set(seqOf(id)); }

        synchronized void handled(String id) { deliveries++; handled.set(seqOf(id)); }

        synchronized int accepted() { return accepted.cardinality(); }

        synchronized int handledCount() { return handled.cardinality(); }

        synchronized long duplicates() { return deliveries - handled.cardinality(); }

        /** Accepted and not (yet) handled. */
        synchronized int lost() {
            BitSet missing = (BitSet) accepted.clone();
            missing.andNot(handled);
            return missing.cardinality();
        }

        private static int seqOf(String id) { return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1)); }
    }

    /** Sends {@code rate} messages a second in batches of 10 until {@code end}; a refused batch is sent again (same ids). */
    private static void send(Courier courier, String group, int rate, long end, Ledger ledger, AtomicLong refused) {
        long seq = 0, startNanos = System.nanoTime();
        while (System.currentTimeMillis() < end) {
            List<Message> batch = new ArrayList<>(10);
            for (int i = 0; i < 10; i++) batch.add(Message.to("any@" + group).id(group + "-" + seq++).payload(new byte[256]).build());
            while (true) {
                try {
                    courier.send(batch).get(120, TimeUnit.SECONDS);
                    for (Message m : batch) ledger.accepted(m.id());
                    break;
                } catch (Exception e) {
                    if (!(e.getCause() instanceof TransportUnavailableException)) System.out.println("send failed: " + e.getCause());
                    refused.incrementAndGet();
                    if (System.currentTimeMillis() > end + 120_000) return;
                }
            }
            long due = startNanos + seq * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(wait));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private static void report(long minute, Ledger ledger, long refused, int restarts) {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf("| %d | %,d | %,d | %,d | %d | %d | %.0f | %.0f |%n", minute, ledger.accepted(), ledger.handledCount(), ledger.duplicates(), refused, restarts,
                rssBytes() / 1048576.0, heap / 1048576.0);
    }

    /** This process's resident set (Linux {@code /proc/self/status}, VmRSS), 0 where there is none. */
    private static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
            }
        } catch (Exception e) {
            // not Linux
        }
        return 0;
    }
}
