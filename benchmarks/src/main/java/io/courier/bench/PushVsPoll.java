package io.courier.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.ToDoubleFunction;

/**
 * Push against long poll on the same embedded hub, in the same run: each run measures both modes back to back on
 * fresh groups, the order alternating (odd runs poll first, even runs push first), with the same Courier consumer
 * (concurrency 1, one ack per message) and the same durable sends, after unrecorded warm-up pairs. Prints each run, then medians and the median of
 * the per-run push / poll ratios.
 * {@code java -cp cli/target/courier.jar io.courier.bench.PushVsPoll [--runs 3] [--n 20000] [--rate 500] [--seconds 10] [--size 1024] [--prefetch 64] [--warmups 1]}
 */
public final class PushVsPoll {
    private PushVsPoll() {}

    public static void main(String[] args) throws Exception {
        int runs = intArg(args, "--runs", 3), n = intArg(args, "--n", 20_000), rate = intArg(args, "--rate", 500);
        int seconds = intArg(args, "--seconds", 10), size = intArg(args, "--size", 1024), prefetch = intArg(args, "--prefetch", 64);
        int warmups = intArg(args, "--warmups", 1);
        List<BenchResult> all = new ArrayList<>();
        boolean ok = true;
        try (EmbeddedHub hub = EmbeddedHub.start()) {
            for (int w = 0; w < warmups; w++) { // not recorded: both JVM paths warm before the first paired run
                for (String mode : List.of("poll", "push")) measure(url(hub, mode), mode, 0, n, rate, seconds, size, prefetch);
            }
            for (int run = 1; run <= runs; run++) {
                List<String> order = run % 2 == 1 ? List.of("poll", "push") : List.of("push", "poll");
                for (String mode : order) {
                    BenchResult f = measure(url(hub, mode), mode, run, n, rate, seconds, size, prefetch);
                    all.add(f);
                    ok &= f.lost() == 0;
                    System.out.printf(Locale.ROOT, "run %d %s: e2e %.0f msg/s; at %.0f msg/s p50 %.2f ms, p99 %.2f ms; lost %d, duplicates %d%n",
                            run, mode, f.e2eMsgPerSec(), f.rateAchieved(), f.p50Ms(), f.p99Ms(), f.lost(), f.duplicates());
                }
            }
        }
        System.out.println(table(all, n, rate, seconds, size, prefetch));
        System.exit(ok ? 0 : 1);
    }

    private static String url(EmbeddedHub hub, String mode) { return mode.equals("poll") ? hub.url() : hub.url() + "?push=http://127.0.0.1:0/"; }

    private static BenchResult measure(String url, String mode, int run, int n, int rate, int seconds, int size, int prefetch) throws Exception {
        String group = "push-bench-" + mode + "-" + UUID.randomUUID().toString().substring(0, 6);
        Workload.Progress quiet = (done, total) -> { };
        Workload.Throughput tp;
        try (BenchDriver d = new CourierDriver(url, prefetch)) {
            d.setUp(group + "-t");
            tp = Workload.throughput(d, n, size, quiet);
        }
        Workload.Latency lat;
        try (BenchDriver d = new CourierDriver(url, prefetch)) {
            d.setUp(group + "-l");
            lat = Workload.latency(d, rate, seconds, size, quiet);
        }
        return BenchResult.of("http", mode, n, size, tp, lat, run, java.time.LocalDate.now().toString());
    }

    /** Medians per mode and the median of the per-run ratios push / poll, as a Markdown table. */
    static String table(List<BenchResult> all, int n, int rate, int seconds, int size, int prefetch) {
        List<BenchResult> poll = all.stream().filter(f -> f.client().equals("poll")).toList();
        List<BenchResult> push = all.stream().filter(f -> f.client().equals("push")).toList();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n%d paired runs, %d × %d B for throughput, %d msg/s for %d s for latency, prefetch %d%n%n",
                poll.size(), n, size, rate, seconds, prefetch));
        b.append("| figure | long poll (median) | push (median) | push / poll (median of per-run ratios) |\n| --- | --- | --- | --- |\n");
        row(b, "e2e throughput, msg/s", poll, push, BenchResult::e2eMsgPerSec, "%.0f");
        row(b, "p50 at " + rate + " msg/s, ms", poll, push, BenchResult::p50Ms, "%.2f");
        row(b, "p99 at " + rate + " msg/s, ms", poll, push, BenchResult::p99Ms, "%.2f");
        b.append(String.format(Locale.ROOT, "| lost, duplicates (all runs) | %d, %d | %d, %d | |%n",
                poll.stream().mapToLong(BenchResult::lost).sum(), poll.stream().mapToLong(BenchResult::duplicates).sum(),
                push.stream().mapToLong(BenchResult::lost).sum(), push.stream().mapToLong(BenchResult::duplicates).sum()));
        return b.toString();
    }

    private static void row(StringBuilder b, String name, List<BenchResult> poll, List<BenchResult> push, ToDoubleFunction<BenchResult> f, String fmt) {
        b.append(String.format(Locale.ROOT, "| %s | " + fmt + " | " + fmt + " | %.2f |%n", name, BenchMain.median(poll, f), BenchMain.median(push, f),
                BenchMain.pairedRatio(poll, push, f)));
    }

    private static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        return dflt;
    }
}
