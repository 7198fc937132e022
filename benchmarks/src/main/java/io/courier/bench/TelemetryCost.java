package io.courier.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code ./courier bench --telemetry}: what metrics and traces cost. For each transport, Courier with both off and
 * with both on ({@link Observability}: SimpleMeterRegistry, OpenTelemetry SDK with a no-op exporter), measured back
 * to back in each run on fresh groups, the order alternating between runs, after one warm-up pair; prints medians of the end-to-end
 * throughput and CPU per message, and the median of the per-run ratios on / off (slow drifts of a shared machine
 * cancel out in a pair).
 */
public final class TelemetryCost {
    private TelemetryCost() {}

    /** One pair of one run. */
    private record Pair(Workload.Throughput off, Workload.Throughput on) {}

    /** Runs {@code o.runs()} pairs per transport of {@code o.transports()} ({@code mem}, or one of the bench's targets). */
    public static int run(BenchMain.Options o, PrintStream out) throws Exception {
        List<String> names = o.transports().isEmpty() ? List.of("mem") : o.transports();
        StringBuilder table = new StringBuilder(String.format("%n## Metrics and traces on / off (medians of %d paired runs; %d B messages; throughput, at most 1,000 in flight)%n%n"
                + "| transport | messages | e2e msg/s off | e2e msg/s on | on/off (median of per-run ratios) | CPU µs/msg off | CPU µs/msg on |%n"
                + "| --- | --- | --- | --- | --- | --- | --- |%n", o.runs(), o.size()));
        boolean ok = true;
        for (String t : names) {
            int n = o.n() > 0 ? o.n() : 20_000;
            List<Pair> pairs = new ArrayList<>();
            measure(t, null, n, o.size()); // warm-up pair, not counted: the JIT and the broker's first queues
            measure(t, new Observability(), n, o.size());
            for (int run = 1; run <= o.runs(); run++) {
                Workload.Throughput first = measure(t, run % 2 == 1 ? null : new Observability(), n, o.size());
                Workload.Throughput second = measure(t, run % 2 == 1 ? new Observability() : null, n, o.size());
                Pair p = run % 2 == 1 ? new Pair(first, second) : new Pair(second, first);
                ok &= p.off().lost() == 0 && p.on().lost() == 0;
                pairs.add(p);
                System.err.printf("\r%-70s%n", String.format("run %d %s: off %.0f msg/s, on %.0f msg/s (ratio %.3f)%s", run, t,
                        p.off().e2eMsgPerSec(), p.on().e2eMsgPerSec(), p.on().e2eMsgPerSec() / p.off().e2eMsgPerSec(),
                        run % 2 == 1 ? ", off first" : ", on first"));
            }
            table.append(String.format("| %s | %d | %.0f | %.0f | %.3f | %.1f | %.1f |%n", t, n,
                    median(pairs, p -> p.off().e2eMsgPerSec()), median(pairs, p -> p.on().e2eMsgPerSec()),
                    median(pairs, p -> p.on().e2eMsgPerSec() / p.off().e2eMsgPerSec()),
                    median(pairs, p -> p.off().cpuUsPerMsg()), median(pairs, p -> p.on().cpuUsPerMsg())));
        }
        out.println(table);
        return ok ? 0 : 1;
    }

    private static Workload.Throughput measure(String transport, Observability observability, int n, int size) throws Exception {
        String group = "bench-obs-" + transport + "-" + UUID.randomUUID().toString().substring(0, 6);
        Workload.Progress progress = (done, total) -> System.err.printf("\r%s %s: %d/%d   ", transport, observability == null ? "off" : "on", done, total);
        try (EmbeddedHub hub = transport.equals("http") ? EmbeddedHub.start() : null;
             BenchDriver d = new CourierDriver(url(transport, hub), 500, observability)) {
            d.setUp(group);
            return Workload.throughput(d, n, size, progress);
        }
    }

    private static String url(String transport, EmbeddedHub hub) {
        if (transport.equals("mem")) return "mem://bench-telemetry";
        if (hub != null) return hub.url();
        BenchMain.Target t = BenchMain.TARGETS.get(transport);
        if (t == null) throw new IllegalArgumentException("unknown transport '" + transport + "' for bench --telemetry: use mem, " + String.join(", ", BenchMain.TARGETS.keySet()));
        return t.url();
    }

    private static double median(List<Pair> pairs, java.util.function.ToDoubleFunction<Pair> f) {
        return BenchMain.median(pairs.stream().mapToDouble(f).toArray());
    }
}
