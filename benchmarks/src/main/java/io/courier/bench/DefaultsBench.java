package io.courier.bench;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a new user gets: per transport, a backlog of N messages is sent, then drained by one subscription built with
 * the default options ({@code SubscriptionOptions.group(g).build()}) and, for comparison, with {@code prefetch(500)};
 * with {@code --slow}, a 200 ms handler drains 200 messages with a 2 s ack deadline (redeliveries must stay 0). Each
 * measurement uses a fresh group named {@code defaults-…}, deleted afterwards. Prints each run, then medians.
 * {@code java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp cli/target/courier.jar io.courier.bench.DefaultsBench
 * [--transports mem,http,kafka,rabbitmq,nats,sqs,postgres] [--runs 3] [--n 5000] [--slow]}
 */
public final class DefaultsBench {
    private static final Duration SLOW_HANDLER = Duration.ofMillis(200);
    private static final Duration SLOW_DEADLINE = Duration.ofSeconds(2);

    /** One drain: messages per second from subscribe to the last distinct message, redeliveries, lost. */
    record Drain(String transport, String mode, int run, double msgPerSec, int redeliveries, int lost, String error) {}

    private DefaultsBench() {}

    public static void main(String[] args) throws Exception {
        List<String> transports = Arrays.asList(arg(args, "--transports", "mem,http,kafka,rabbitmq,nats,sqs,postgres").split(","));
        int runs = Integer.parseInt(arg(args, "--runs", "3"));
        boolean slow = Arrays.asList(args).contains("--slow");
        int n = Integer.parseInt(arg(args, "--n", slow ? "200" : "5000"));
        List<String> modes = slow ? List.of("defaults-slow") : List.of("defaults", "prefetch500");
        List<Drain> all = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            for (String t : transports) {
                for (String mode : run % 2 == 1 ? modes : modes.reversed()) {
                    Drain d = measure(t, mode, run, n);
                    all.add(d);
                    System.out.printf(Locale.ROOT, "run %d %s %s: %.0f msg/s, redeliveries %d, lost %d%s%n", run, t, mode,
                            d.msgPerSec(), d.redeliveries(), d.lost(), d.error() == null ? "" : " ERROR " + d.error());
                }
            }
        }
        System.out.println(table(all, transports, modes, n, runs));
        System.exit(all.stream().allMatch(d -> d.lost() == 0 && d.error() == null) ? 0 : 1);
    }

    static Drain measure(String transport, String mode, int run, int n) {
        String group = "defaults-" + transport + "-" + mode + "-" + UUID.randomUUID().toString().substring(0, 6);
        try (EmbeddedHub hub = transport.equals("http") ? EmbeddedHub.start() : null;
             Courier courier = Courier.connect(hub != null ? hub.url() : url(transport))) {
            try {
                return drain(courier, transport, mode, run, n, group);
            } finally {
                courier.transport().admin().ifPresent(a -> a.deleteGroup(group));
            }
        } catch (Exception e) {
            return new Drain(transport, mode, run, 0, 0, n, e.toString());
        }
    }

    private static Drain drain(Courier courier, String transport, String mode, int run, int n, String group) throws Exception {
        Destination to = Destination.any(group);
        for (int i = 0; i < n; i += 100) {
            List<Message> batch = new ArrayList<>();
            for (int j = i; j < Math.min(n, i + 100); j++) batch.add(Message.to(to).payload(ByteBuffer.allocate(4).putInt(j).array()).build());
            courier.send(batch).join();
        }
        SubscriptionOptions.Builder options = SubscriptionOptions.group(group);
        if (mode.equals("prefetch500")) options.prefetch(500);
        boolean slow = mode.equals("defaults-slow");
        if (slow) options.ackDeadline(SLOW_DEADLINE);
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        long start = System.nanoTime();
        long[] last = new long[1];
        try (Subscription s = courier.subscribe(options.build(), d -> {
            if (slow) Thread.sleep(SLOW_HANDLER.toMillis());
            deliveries.incrementAndGet();
            if (seen.add(ByteBuffer.wrap(d.message().payload()).getInt()) && seen.size() == n) last[0] = System.nanoTime();
        })) {
            long limit = System.nanoTime() + Duration.ofSeconds(slow ? n / 2 + 60 : 240).toNanos();
            while (seen.size() < n && System.nanoTime() < limit) Thread.sleep(5);
            if (slow) Thread.sleep(SLOW_DEADLINE.toMillis() * 2); // a lease that ran out would show as a redelivery
        }
        long end = seen.size() == n ? last[0] : System.nanoTime();
        return new Drain(transport, mode, run, seen.size() / ((end - start) / 1e9), deliveries.get() - seen.size(), n - seen.size(), null);
    }

    static String url(String transport) {
        if (transport.equals("mem")) return "mem://defaults";
        BenchMain.Target t = BenchMain.TARGETS.get(transport);
        if (t == null) throw new IllegalArgumentException("unknown transport '" + transport + "': use mem, " + String.join(", ", BenchMain.TARGETS.keySet()));
        return t.url();
    }

    static String table(List<Drain> all, List<String> transports, List<String> modes, int n, int runs) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%n## Draining a %d-message backlog, concurrency 1 (median of %d runs; min–max)%n%n| transport | options | drain msg/s | min–max | redeliveries | lost |%n| --- | --- | --- | --- | --- | --- |%n", n, runs));
        for (String t : transports) {
            for (String mode : modes) {
                List<Drain> ds = all.stream().filter(d -> d.transport().equals(t) && d.mode().equals(mode)).toList();
                double[] rates = ds.stream().filter(d -> d.error() == null).mapToDouble(Drain::msgPerSec).toArray();
                int redeliveries = ds.stream().mapToInt(Drain::redeliveries).sum(), lost = ds.stream().mapToInt(Drain::lost).sum();
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.0f–%.0f | %d | %d |%n", t, mode, BenchMain.median(rates),
                        Arrays.stream(rates).min().orElse(0), Arrays.stream(rates).max().orElse(0), redeliveries, lost));
            }
        }
        return sb.toString();
    }

    private static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) if (args[i].equals(name)) return args[i + 1];
        return fallback;
    }
}
