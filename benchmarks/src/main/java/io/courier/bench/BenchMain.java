package io.courier.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.spi.Providers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * {@code ./courier bench}: for each transport, the raw client library and Courier on the same broker, interleaved
 * in the same run, on fresh destinations; medians of several runs; a Markdown table, JSON lines and an SVG chart.
 */
public final class BenchMain {

    /** Options of a benchmark run. */
    public record Options(List<String> transports, int n, int size, int rate, int latencySeconds, int runs, Path out, Path chart) {}

    /** A transport the harness knows: its raw driver (null for the hub: no raw client) and its Courier URL. */
    record Target(String name, Supplier<BenchDriver> raw, String url, int defaultN, int maxRate) {}

    static final Map<String, Target> TARGETS = new LinkedHashMap<>();

    static {
        // -Dcourier.bench.kafka=host:port: another Kafka than the shared one (a private broker for profiling)
        String kafka = System.getProperty("courier.bench.kafka", "127.0.0.1:9092");
        TARGETS.put("kafka", new Target("kafka", () -> new KafkaRawDriver(kafka), "kafka://" + kafka, 100_000, 100_000));
        TARGETS.put("rabbitmq", new Target("rabbitmq", () -> new RabbitRawDriver("amqp://guest:guest@127.0.0.1:5672/%2F"), "amqp://guest:guest@127.0.0.1:5672/%2F", 100_000, 100_000));
        TARGETS.put("nats", new Target("nats", () -> new NatsRawDriver("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222", 100_000, 100_000));
        TARGETS.put("sqs", new Target("sqs", () -> new SqsRawDriver("http://127.0.0.1:9324", "elasticmq"), "sqs://127.0.0.1:9324?region=elasticmq", 20_000, 200));
        TARGETS.put("postgres", new Target("postgres", () -> new PgRawDriver("jdbc:postgresql://127.0.0.1:5432/test?user=postgres"),
                "postgres://postgres@127.0.0.1:5432/test?schema=courier_bench", 100_000, 100_000));
        // the hub has no raw client: a fresh embedded hub (journal in a temporary directory) per measurement,
        // compared with the fastest raw broker client of the same run
        TARGETS.put("http", new Target("http", null, "http://127.0.0.1:0", 100_000, 100_000));
    }

    private BenchMain() {}

    /** Runs the benchmark; returns 0, or 1 when a run lost messages or failed. */
    public static int run(Options o, PrintStream out) throws Exception {
        List<String> names = o.transports().isEmpty() ? available() : o.transports();
        for (String t : names) {
            if (!TARGETS.containsKey(t)) throw new IllegalArgumentException("unknown transport '" + t + "' for bench: use " + String.join(", ", TARGETS.keySet()));
        }
        List<BenchResult> results = new ArrayList<>();
        boolean ok = true;
        String date = LocalDate.now().toString();
        for (int run = 1; run <= o.runs(); run++) {
            for (String t : names) {
                Target target = TARGETS.get(t);
                int n = o.n() > 0 ? o.n() : target.defaultN();
                List<String> clients = target.raw() == null ? List.of("courier")
                        : run % 2 == 1 ? List.of("raw", "courier") : List.of("courier", "raw");
                for (String client : clients) {
                    BenchResult r = measure(target, client, n, o, run, date);
                    results.add(r);
                    ok &= r.ok();
                    append(o.out(), r);
                    System.err.printf("\r%-60s%n", String.format("run %d %s %s: e2e %.0f msg/s, p99 %.2f ms, lost %d%s", run, t, client,
                            r.e2eMsgPerSec(), r.p99Ms(), r.lost(), r.error() == null ? "" : " ERROR " + r.error()));
                }
            }
        }
        out.println(table(results, names, o));
        if (names.contains("postgres")) out.println(PgIdleCost.measure(30));
        if (o.chart() != null) {
            Files.createDirectories(o.chart().toAbsolutePath().getParent());
            Files.writeString(o.chart(), svg(results, names, date));
            out.println("chart: " + o.chart());
        }
        out.println("results: " + o.out());
        return ok ? 0 : 1;
    }

    /** Transports whose Courier adapter is on the class path. */
    static List<String> available() {
        var schemes = Providers.all().keySet();
        List<String> out = new ArrayList<>();
        for (Target t : TARGETS.values()) if (schemes.contains(t.url().substring(0, t.url().indexOf(':')))) out.add(t.name());
        return out;
    }

    private static BenchResult measure(Target t, String client, int n, Options o, int run, String date) {
        String dest = "bench-" + t.name() + "-" + client + "-" + UUID.randomUUID().toString().substring(0, 6);
        Workload.Progress progress = (done, total) -> System.err.printf("\r%s %s: %d/%d   ", t.name(), client, done, total);
        try (EmbeddedHub hub = t.raw() == null ? EmbeddedHub.start() : null) {
            String url = hub == null ? t.url() : hub.url();
            Supplier<BenchDriver> factory = client.equals("raw") ? t.raw() : () -> new CourierDriver(url, 500);
            Workload.Throughput tp;
            try (BenchDriver d = factory.get()) {
                d.setUp(dest + "-t");
                tp = Workload.throughput(d, n, o.size(), progress);
            }
            Workload.Latency lat;
            int rate = Math.min(o.rate(), t.maxRate());
            try (BenchDriver d = factory.get()) {
                d.setUp(dest + "-l");
                lat = Workload.latency(d, rate, o.latencySeconds(), o.size(), progress);
            }
            return BenchResult.of(t.name(), client, n, o.size(), tp, lat, run, date);
        } catch (Exception e) {
            return new BenchResult(t.name(), client, n, o.size(), 0, 0, 0, 0, 0, 0, 0, 0, n, 0, 0, 0, run, date, e.toString());
        }
    }

    private static void append(Path out, BenchResult r) throws IOException {
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, new ObjectMapper().writeValueAsString(r) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static double median(List<BenchResult> rs, ToDoubleFunction<BenchResult> f) {
        return median(rs.stream().mapToDouble(f).toArray());
    }

    static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static List<BenchResult> of(List<BenchResult> all, String t, String client) {
        return all.stream().filter(r -> r.transport().equals(t) && r.client().equals(client) && r.error() == null).toList();
    }

    /**
     * The median over runs of Courier / raw, each run's Courier figure divided by the raw figure of the same run
     * (measured back to back on the same broker), so that the machine's slow drifts cancel out; NaN without a pair.
     */
    static double pairedRatio(List<BenchResult> raw, List<BenchResult> courier, ToDoubleFunction<BenchResult> f) {
        double[] ratios = courier.stream().flatMap(c -> raw.stream().filter(r -> r.run() == c.run() && f.applyAsDouble(r) > 0)
                .map(r -> f.applyAsDouble(c) / f.applyAsDouble(r))).mapToDouble(Double::doubleValue).toArray();
        return median(ratios);
    }

    /** Medians per transport and client, with Courier / raw ratios (medians of the per-run ratios). */
    static String table(List<BenchResult> all, List<String> names, Options o) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%n## Courier vs raw client (medians of %d runs; %d B messages; latency at %d msg/s; ratios: median of per-run ratios)%n%n", o.runs(), o.size(), o.rate()));
        sb.append("| transport | client | produce msg/s | e2e msg/s | p50 ms | p99 ms | p99.9 ms | CPU µs/msg | alloc KiB/msg | lost | e2e Courier/raw | p99 Courier/raw |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (String t : names) {
            List<BenchResult> raw = of(all, t, "raw"), cou = of(all, t, "courier");
            for (String client : List.of("raw", "courier")) {
                List<BenchResult> rs = client.equals("raw") ? raw : cou;
                if (rs.isEmpty() && client.equals("raw") && TARGETS.get(t).raw() == null) continue;
                long lost = all.stream().filter(r -> r.transport().equals(t) && r.client().equals(client)).mapToLong(BenchResult::lost).sum();
                double e2e = pairedRatio(raw, cou, BenchResult::e2eMsgPerSec), p99 = pairedRatio(raw, cou, BenchResult::p99Ms);
                String ratioE2e = client.equals("courier") && !Double.isNaN(e2e) ? String.format("%.2f", e2e) : "";
                if (client.equals("courier") && TARGETS.get(t).raw() == null) {
                    Fastest f = fastestRaw(all, names);
                    ratioE2e = f == null ? "" : String.format("%.2f of %s raw", median(cou, BenchResult::e2eMsgPerSec) / f.e2e(), f.name());
                }
                String ratioP99 = client.equals("courier") && !Double.isNaN(p99) ? String.format("%.2f", p99) : "";
                sb.append(String.format("| %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.1f | %.1f | %d | %s | %s |%n", t, client,
                        median(rs, BenchResult::produceMsgPerSec), median(rs, BenchResult::e2eMsgPerSec), median(rs, BenchResult::p50Ms),
                        median(rs, BenchResult::p99Ms), median(rs, BenchResult::p999Ms), median(rs, BenchResult::cpuUsPerMsg),
                        median(rs, BenchResult::allocKiBPerMsg), lost, ratioE2e, ratioP99));
            }
        }
        return sb.toString();
    }

    /** The raw client with the highest median e2e throughput in these results. */
    record Fastest(String name, double e2e) {}

    static Fastest fastestRaw(List<BenchResult> all, List<String> names) {
        Fastest best = null;
        for (String t : names) {
            List<BenchResult> raw = of(all, t, "raw");
            if (raw.isEmpty()) continue;
            double e2e = median(raw, BenchResult::e2eMsgPerSec);
            if (best == null || e2e > best.e2e()) best = new Fastest(t, e2e);
        }
        return best;
    }

    /** A bar chart of the e2e throughput ratio (Courier / raw) per transport, with the 95 % target line. */
    static String svg(List<BenchResult> all, List<String> names, String date) {
        int w = 640, barH = 28, top = 50, left = 110, maxW = 460;
        int h = top + names.size() * (barH + 14) + 40;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='13'>%n", w, h));
        sb.append(String.format("<text x='10' y='22' font-size='15'>End-to-end throughput, Courier / raw client (median), %s, 2 shared cores</text>%n", date));
        double scale = maxW / 1.2;
        int target = left + (int) (0.95 * scale);
        for (int i = 0; i < names.size(); i++) {
            String t = names.get(i);
            List<BenchResult> raw = of(all, t, "raw"), cou = of(all, t, "courier");
            double ratio = pairedRatio(raw, cou, BenchResult::e2eMsgPerSec);
            Fastest f = TARGETS.get(t).raw() == null ? fastestRaw(all, names) : null;
            if (f != null && !cou.isEmpty()) ratio = median(cou, BenchResult::e2eMsgPerSec) / f.e2e();
            if (Double.isNaN(ratio)) ratio = 0;
            int y = top + i * (barH + 14);
            int bw = (int) (Math.min(ratio, 1.2) * scale);
            sb.append(String.format("<text x='10' y='%d'>%s</text>%n", y + 19, f != null ? t + " / " + f.name() : t));
            sb.append(String.format("<rect x='%d' y='%d' width='%d' height='%d' fill='%s'/>%n", left, y, Math.max(bw, 1), barH, ratio >= 0.95 ? "#2e7d32" : "#c62828"));
            sb.append(String.format("<text x='%d' y='%d'>%.2f</text>%n", left + Math.max(bw, 1) + 6, y + 19, ratio));
        }
        sb.append(String.format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#333' stroke-dasharray='4 3'/>%n", target, top - 8, target, h - 30));
        sb.append(String.format("<text x='%d' y='%d'>target 0.95</text>%n", target - 30, h - 12));
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** Command-line entry for running without the CLI: {@code BenchMain [transport,…] [n] [runs]}. */
    public static void main(String[] args) throws Exception {
        List<String> ts = args.length > 0 ? Arrays.asList(args[0].split(",")) : List.of();
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        System.exit(run(new Options(ts, n, 1024, 500, 10, runs, Path.of("benchmarks/results.jsonl"), Path.of("benchmarks/ratios.svg")), System.out));
    }
}
