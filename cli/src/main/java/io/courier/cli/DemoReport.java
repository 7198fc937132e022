package io.courier.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The figures of one demo run and their table.
 *
 * @param retried       deliveries with attempt &gt; 1 (failed attempts retried, redeliveries after the worker stopped)
 * @param lost          tasks neither completed nor dead-lettered: must be 0
 * @param duplicates    completions of an already completed task (at-least-once)
 * @param completedBy   completions per worker member id
 * @param stop          which worker was stopped and when, or null
 * @param timedOut      the timeout that ended the wait before every task finished, or null
 * @param metrics       the same run as the runtime's metrics recorded it
 * @param poisonTrace   the span tree of the poison task ({@code --trace}), or empty
 */
record DemoReport(String transport, String destination, int sent, int workers, int completed, int retried,
                  int deadLettered, int lost, int duplicates, Duration elapsed, double p50Millis, double p99Millis,
                  Map<String, Integer> completedBy, Stop stop, Duration timedOut, DemoMetrics metrics,
                  java.util.List<String> poisonTrace) {

    /**
     * The worker closed mid-way: its member id, tasks finished at that moment, deliveries it held, and how many
     * deliveries of tasks that never failed were redelivered (to the other workers) afterwards.
     */
    record Stop(String member, int atFinished, int inFlight, int redelivered) {}

    double throughput() { return (completed + deadLettered) / Math.max(1e-9, elapsed.toNanos() / 1e9); }

    void print(PrintStream out) {
        out.printf("courier demo: %d tasks to %s over %s, %d workers%n", sent, destination, transport, workers);
        row(out, "sent", Integer.toString(sent), "");
        row(out, "completed", Integer.toString(completed), completedBy.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
        row(out, "retried", Integer.toString(retried), "redeliveries: every 10th task fails once, the poison task, the stopped worker's");
        row(out, "dead-lettered", Integer.toString(deadLettered), "the poison task after " + Demo.MAX_ATTEMPTS + " attempts, counted on " + destination + ".dlq");
        row(out, "lost", Integer.toString(lost), lost == 0 ? "every task completed or dead-lettered"
                : "neither completed nor dead-lettered" + (timedOut == null ? "" : " within the timeout of " + timedOut.toSeconds() + " s"));
        row(out, "duplicates", Integer.toString(duplicates), "completions of an already completed task (at-least-once)");
        row(out, "throughput", String.format("%,.0f msg/s", throughput()), "");
        row(out, "latency p50", String.format("%.1f ms", p50Millis), "send -> completion");
        row(out, "latency p99", String.format("%.1f ms", p99Millis), "");
        if (stop != null) {
            row(out, "worker stopped", stop.member(), "at " + stop.atFinished() + "/" + sent + ", holding " + stop.inFlight() + " deliveries (grace "
                    + Demo.STOP_GRACE.toMillis() + " ms): " + stop.redelivered() + " redelivered to the others");
        }
        row(out, "wall time", String.format("%.2f s", elapsed.toNanos() / 1e9), "");
        metrics.print(out);
        if (!poisonTrace.isEmpty()) {
            out.println("trace of the poison task (send, " + Demo.MAX_ATTEMPTS + " failed attempts, its dead letter):");
            poisonTrace.forEach(out::println);
        }
    }

    private static void row(PrintStream out, String name, String value, String note) {
        out.printf("  %-15s %12s%s%n", name, value, note.isEmpty() ? "" : "   " + note);
    }
}
