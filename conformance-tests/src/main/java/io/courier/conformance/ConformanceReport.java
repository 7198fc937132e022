package io.courier.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outcome of one suite run against one transport, clause by clause; written as {@code <transport>.json} and
 * {@code <transport>.md}. A clause fails if any of its tests failed, passes if at least one passed and none failed,
 * and is otherwise {@code unsupported} (the transport declared it cannot keep it) or {@code not-run} (the fixture
 * could not run it: no restart, no proxy).
 */
public final class ConformanceReport {
    /** Every clause of the contract, in order. */
    public static final List<String> CLAUSES = List.of("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10",
            "C11", "C12", "C13", "C14", "C15", "C16", "C17", "C18", "C19");
    public static final Map<String, String> TITLES = Map.ofEntries(Map.entry("C1", "accept"), Map.entry("C2", "at-least-once"),
            Map.entry("C3", "competing"), Map.entry("C4", "direct"), Map.entry("C5", "ack"), Map.entry("C6", "redelivery"),
            Map.entry("C7", "dead-letter"), Map.entry("C8", "fidelity"), Map.entry("C9", "order"), Map.entry("C10", "delay"),
            Map.entry("C11", "backpressure"), Map.entry("C12", "reconnect"), Map.entry("C13", "close"), Map.entry("C14", "errors"),
            Map.entry("C15", "attempts"), Map.entry("C16", "long handlers"), Map.entry("C17", "isolation"), Map.entry("C18", "recovery"),
            Map.entry("C19", "trace context"));

    /** One test's outcome. */
    public record TestResult(String clause, String test, String status, String detail) {}

    /** A deliberately broken transport and whether the suite caught it. */
    public record Mutant(String name, String clause, boolean caught, String detail) {}

    private final String transport;
    private final String url;
    private final long startedNanos = System.nanoTime();
    private final List<TestResult> tests = new ArrayList<>();
    private final List<Mutant> mutants = new ArrayList<>();
    public final AtomicLong sent = new AtomicLong();
    public final AtomicLong lost = new AtomicLong();
    public final AtomicLong duplicates = new AtomicLong();

    public ConformanceReport(String transport, String url) {
        this.transport = transport;
        this.url = url;
    }

    public String transport() { return transport; }

    public synchronized void record(TestResult r) { tests.add(r); }

    public synchronized void addMutant(Mutant m) { mutants.add(m); }

    public synchronized List<TestResult> tests() { return List.copyOf(tests); }

    public synchronized List<Mutant> mutants() { return List.copyOf(mutants); }

    /** Adds the loss figures of one loss check. */
    public void count(long sentCount, long lostCount, long duplicateCount) {
        sent.addAndGet(sentCount);
        lost.addAndGet(lostCount);
        duplicates.addAndGet(duplicateCount);
    }

    /** Per clause: status, tests, failures, detail. */
    public synchronized Map<String, Map<String, Object>> clauses() {
        Map<String, List<TestResult>> byClause = new TreeMap<>();
        for (TestResult t : tests) byClause.computeIfAbsent(t.clause(), c -> new ArrayList<>()).add(t);
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (String c : CLAUSES) {
            List<TestResult> ts = byClause.getOrDefault(c, List.of());
            long failed = ts.stream().filter(t -> t.status().equals("fail")).count();
            long passed = ts.stream().filter(t -> t.status().equals("pass")).count();
            String status;
            String detail;
            if (failed > 0) {
                status = "fail";
                detail = ts.stream().filter(t -> t.status().equals("fail")).map(t -> t.test() + ": " + t.detail()).reduce((a, b) -> a + "; " + b).orElse("");
            } else if (passed > 0) {
                status = "pass";
                detail = ts.stream().filter(t -> !t.status().equals("pass")).map(t -> t.test() + " " + t.status() + ": " + t.detail()).reduce((a, b) -> a + "; " + b).orElse("");
            } else if (ts.isEmpty()) {
                status = "not-run";
                detail = "no test of this clause ran";
            } else {
                status = ts.stream().anyMatch(t -> t.status().equals("unsupported")) ? "unsupported" : "not-run";
                detail = ts.stream().map(TestResult::detail).distinct().reduce((a, b) -> a + "; " + b).orElse("");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", c);
            m.put("status", status);
            m.put("tests", ts.size());
            m.put("failures", failed);
            m.put("detail", detail);
            out.put(c, m);
        }
        return out;
    }

    /** True when no clause failed, and (under {@code strict}) none is not-run. */
    public boolean passed(boolean strict) {
        return clauses().values().stream().noneMatch(c -> c.get("status").equals("fail") || (strict && c.get("status").equals("not-run")))
                && mutants().stream().allMatch(Mutant::caught);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("transport", transport);
        root.put("url", io.courier.spi.TransportUrl.redact(url));
        root.put("clauses", new ArrayList<>(clauses().values()));
        root.put("messages", Map.of("sent", sent.get(), "lost", lost.get(), "duplicates", duplicates.get()));
        if (!mutants.isEmpty()) root.put("mutants", mutants());
        root.put("tests", tests());
        root.put("durationMs", (System.nanoTime() - startedNanos) / 1_000_000);
        return root;
    }

    /** The clause table in Markdown. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("## Conformance of ").append(transport).append(" (").append(io.courier.spi.TransportUrl.redact(url)).append(")\n\n");
        sb.append("| clause | status | tests | failures | detail |\n| --- | --- | --- | --- | --- |\n");
        for (Map<String, Object> c : clauses().values()) {
            sb.append("| ").append(c.get("id")).append(' ').append(TITLES.get((String) c.get("id"))).append(" | ").append(c.get("status"))
                    .append(" | ").append(c.get("tests")).append(" | ").append(c.get("failures")).append(" | ")
                    .append(String.valueOf(c.get("detail")).replace("|", "\\|").replace("\n", " ")).append(" |\n");
        }
        sb.append("\nmessages: sent ").append(sent.get()).append(", lost ").append(lost.get()).append(", duplicates ").append(duplicates.get()).append('\n');
        if (!mutants.isEmpty()) {
            sb.append("\n| broken transport | clause | caught |\n| --- | --- | --- |\n");
            for (Mutant m : mutants()) sb.append("| ").append(m.name()).append(" | ").append(m.clause()).append(" | ").append(m.caught() ? "yes" : "NO").append(" |\n");
        }
        return sb.toString();
    }

    /** Writes {@code <dir>/<transport>.json} and {@code .md}; returns the JSON path. */
    public Path write(Path dir) { return writeTo(dir.resolve(transport + ".json")); }

    /** Writes the JSON report to {@code json} and the Markdown beside it ({@code .md}). */
    public Path writeTo(Path json) {
        try {
            Path dir = json.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), toJson());
            String name = json.getFileName().toString().replaceFirst("\\.json$", "");
            Files.writeString(dir.resolve(name + ".md"), toMarkdown());
            return json;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The report directory: {@code courier.conformance.dir}, default {@code target/conformance}. */
    public static Path defaultDir() {
        return Path.of(System.getProperty("courier.conformance.dir", "target/conformance"));
    }
}
