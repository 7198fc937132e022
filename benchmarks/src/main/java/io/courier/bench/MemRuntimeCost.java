package io.courier.bench;

import io.courier.Courier;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The shared runtime's own cost per message, on {@code mem://} (no broker, no I/O): a backlog of N messages is
 * drained by one subscription whose handler does nothing; reports wall µs and process CPU µs per message, median of
 * the runs. {@code java -cp … io.courier.bench.MemRuntimeCost [messages] [runs] [concurrency]}.
 */
public final class MemRuntimeCost {
    private MemRuntimeCost() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        double[] wall = new double[runs], cpu = new double[runs];
        for (int run = -1; run < runs; run++) { // run -1 warms up
            String g = "cost-" + UUID.randomUUID().toString().substring(0, 8);
            try (Courier c = Courier.connect("mem://cost")) {
                List<Message> batch = new ArrayList<>(1000);
                for (int i = 0; i < n; i++) {
                    batch.add(Message.to("any@" + g).id("m" + i).payload("x").build());
                    if (batch.size() == 1000) { c.send(batch).join(); batch = new ArrayList<>(1000); }
                }
                if (!batch.isEmpty()) c.send(batch).join();
                CountDownLatch done = new CountDownLatch(n);
                long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                c.subscribe(SubscriptionOptions.group(g).concurrency(concurrency).build(), d -> done.countDown());
                if (!done.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("not drained in 120 s");
                long t1 = System.nanoTime(), cpu1 = os.getProcessCpuTime();
                if (run >= 0) {
                    wall[run] = (t1 - t0) / 1e3 / n;
                    cpu[run] = (cpu1 - cpu0) / 1e3 / n;
                }
            }
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        System.out.printf("| messages | runs | concurrency | wall µs/msg (median, min–max) | CPU µs/msg (median, min–max) |%n");
        System.out.printf("| %d | %d | %d | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) |%n", n, runs, concurrency,
                wall[runs / 2], wall[0], wall[runs - 1], cpu[runs / 2], cpu[0], cpu[runs - 1]);
    }
}
