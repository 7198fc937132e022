package io.courier.cli;

import io.courier.Courier;
import io.courier.CourierOptions;
import io.courier.Delivery;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.HdrHistogram.Histogram;

/**
 * The newcomer's tour of the contract. A server sends {@code tasks} tasks to {@code any@demo-<random>}; {@code workers}
 * members of that group, each with its own {@link Courier} connection and member id, handle them:
 * <ul>
 *   <li>every 10th task fails on its first attempt and is retried by the runtime;</li>
 *   <li>one poison task always fails: after {@value #MAX_ATTEMPTS} attempts it is dead-lettered to
 *       {@code any@<group>.dlq}, where a separate subscription counts it;</li>
 *   <li>once 40 % of the tasks are done, the last worker is closed with a short grace: what it holds unfinished is
 *       released and redelivered to the others.</li>
 * </ul>
 * Every task must end completed or dead-lettered (lost = 0); completions of an already completed task are counted as
 * duplicates (at-least-once delivery allows them). Latency is from send to completion, both measured in this JVM.
 */
final class Demo {
    /** Attempts before a task is dead-lettered. */
    static final int MAX_ATTEMPTS = 3;
    private static final String SENT_AT = "demo.sent-nanos";
    private static final String TASK = "demo.task";
    private static final int BATCH = 100;
    /** How long the stopped worker may finish what it runs; the rest is released to the others. */
    static final Duration STOP_GRACE = Duration.ofMillis(20);

    /** What to run. */
    record Settings(String transport, int tasks, int workers, int concurrency, Duration timeout, boolean trace) {
        Settings(String transport, int tasks, int workers, int concurrency, Duration timeout) {
            this(transport, tasks, workers, concurrency, timeout, false);
        }

        Settings {
            if (tasks < 1) throw new IllegalArgumentException("--tasks must be at least 1, got " + tasks);
            if (workers < 1) throw new IllegalArgumentException("--workers must be at least 1, got " + workers);
            if (concurrency < 1) throw new IllegalArgumentException("--concurrency must be at least 1, got " + concurrency);
        }
    }

    private final Settings settings;
    private final PrintStream progress;
    private final String group = "demo-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final int poison;

    private final Map<String, String> completedBy = new ConcurrentHashMap<>();
    private final Set<String> deadLettered = ConcurrentHashMap.newKeySet();
    private final AtomicInteger redeliveries = new AtomicInteger();
    /** Redeliveries of tasks that never failed: released by the stopped worker. */
    private final AtomicInteger handedOver = new AtomicInteger();
    private final AtomicInteger duplicates = new AtomicInteger();
    private final Histogram latencyMicros = new ConcurrentHistogram(3);
    /** Every connection's runtime metrics, summarised at the end ({@link DemoMetrics}). */
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    /** With {@code --trace}: every connection traced into memory, the poison task's span tree printed at the end. */
    private final DemoTrace trace;

    /** @param progress where the progress bar goes, or null for none */
    Demo(Settings settings, PrintStream progress) {
        this.settings = settings;
        this.progress = progress;
        int p = settings.tasks() / 2 + 1;
        this.poison = Math.min(p % 10 == 0 ? p - 1 : p, settings.tasks());
        this.trace = settings.trace() ? new DemoTrace() : null;
    }

    /** Runs the scenario and returns its figures; throws the transport's typed error when it cannot connect. */
    DemoReport run() throws InterruptedException {
        List<Courier> connections = new ArrayList<>();
        try {
            Courier server = connect(connections);
            server.subscribe(SubscriptionOptions.group(group + ".dlq").pollWait(Duration.ofMillis(200)).build(),
                    d -> deadLettered.add(d.message().id()));
            List<Subscription> workers = new ArrayList<>();
            for (int w = 1; w <= settings.workers(); w++) {
                String member = "w" + w;
                workers.add(connect(connections).subscribe(workerOptions(member), d -> handle(member, d)));
            }
            long start = System.nanoTime();
            ProgressBar bar = progress == null ? null : new ProgressBar(progress, settings.tasks(), this::finished).start();
            DemoReport.Stop stop;
            try {
                CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> send(server), Thread::startVirtualThread);
                stop = awaitFinished(sending, workers, start + settings.timeout().toNanos());
            } finally {
                if (bar != null) bar.close();
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            // a worker counts a dead letter in its metrics once the broker confirmed it, which can be after the
            // dead-letter consumer saw it (CI: deadLetters=0 beside 1 dead-lettered task); closing a subscription
            // waits for its dead-letter sends, so the metrics are complete after this
            for (Subscription w : workers) w.close();
            return report(elapsed, stop);
        } finally {
            for (int i = connections.size() - 1; i >= 0; i--) connections.get(i).close();
            if (trace != null) trace.close();
        }
    }

    private Courier connect(List<Courier> connections) {
        CourierOptions options = CourierOptions.defaults().meterRegistry(metrics);
        Courier c = Courier.connect(settings.transport(), trace == null ? options : trace.on(options));
        connections.add(c);
        return c;
    }

    /**
     * Waits until every task is completed or dead-lettered (or the deadline passes); once 40 % are done, closes the
     * last worker with a short grace. Returns which worker was stopped, or null with a single worker (never stopped).
     */
    private DemoReport.Stop awaitFinished(CompletableFuture<Void> sending, List<Subscription> workers, long deadlineNanos)
            throws InterruptedException {
        AtomicReference<DemoReport.Stop> stop = new AtomicReference<>();
        Thread stopper = null;
        while (finished() < settings.tasks() && System.nanoTime() < deadlineNanos) {
            if (sending.isCompletedExceptionally()) sending.join(); // throws the transport's error
            if (stopper == null && workers.size() > 1 && finished() >= settings.tasks() * 4L / 10) {
                Subscription last = workers.get(workers.size() - 1);
                int at = finished();
                stopper = Thread.ofVirtual().start(() -> {
                    stop.set(new DemoReport.Stop("w" + workers.size(), at, last.inFlight(), 0));
                    last.close(STOP_GRACE);
                });
            }
            Thread.sleep(2);
        }
        if (stopper != null) stopper.join();
        return stop.get();
    }

    private SubscriptionOptions workerOptions(String member) {
        return SubscriptionOptions.group(group).member(member)
                .concurrency(settings.concurrency())
                .retry(RetryPolicy.exponential(MAX_ATTEMPTS, Duration.ofMillis(20), Duration.ofMillis(200)))
                .pollWait(Duration.ofMillis(200))
                .build();
    }

    private void send(Courier server) {
        for (int from = 1; from <= settings.tasks(); from += BATCH) {
            List<Message> batch = new ArrayList<>(BATCH);
            String now = Long.toString(System.nanoTime());
            for (int i = from; i < from + BATCH && i <= settings.tasks(); i++) {
                batch.add(Message.to("any@" + group).id(group + "-" + i)
                        .header(TASK, Integer.toString(i)).header(SENT_AT, now)
                        .payload("task " + i).build());
            }
            server.send(batch).join();
        }
    }

    private void handle(String member, Delivery d) throws InterruptedException {
        Message m = d.message();
        int task = Integer.parseInt(m.headers().get(TASK));
        if (d.attempt() > 1) {
            redeliveries.incrementAndGet();
            if (task != poison && (task % 10 != 0 || d.attempt() > 2)) handedOver.incrementAndGet();
        }
        if (task == poison) throw new IllegalStateException("poison task " + task + " always fails");
        if (task % 10 == 0 && d.attempt() == 1) throw new IllegalStateException("task " + task + " fails on its first attempt");
        Thread.sleep(ThreadLocalRandom.current().nextInt(1, 4)); // the work
        if (completedBy.putIfAbsent(m.id(), member) == null) {
            long micros = (System.nanoTime() - Long.parseLong(m.headers().get(SENT_AT))) / 1_000;
            latencyMicros.recordValue(Math.max(0, micros));
        } else {
            duplicates.incrementAndGet();
        }
    }

    private int finished() { return completedBy.size() + deadLettered.size(); }

    private DemoReport report(Duration elapsed, DemoReport.Stop stop) {
        boolean timedOut = finished() < settings.tasks();
        Set<String> settled = ConcurrentHashMap.newKeySet();
        settled.addAll(completedBy.keySet());
        settled.addAll(deadLettered);
        Map<String, Integer> perWorker = new java.util.TreeMap<>();
        completedBy.values().forEach(w -> perWorker.merge(w, 1, Integer::sum));
        return new DemoReport(settings.transport(), "any@" + group, settings.tasks(), settings.workers(), completedBy.size(),
                redeliveries.get(), deadLettered.size(), settings.tasks() - settled.size(), duplicates.get(), elapsed,
                latencyMicros.getValueAtPercentile(50) / 1000.0, latencyMicros.getValueAtPercentile(99) / 1000.0,
                perWorker, stop == null ? null : new DemoReport.Stop(stop.member(), stop.atFinished(), stop.inFlight(), handedOver.get()),
                timedOut ? settings.timeout() : null, DemoMetrics.of(metrics, group),
                trace == null ? List.of() : trace.tree(group + "-" + poison));
    }
}
