package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.courier.TransportUnavailableException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One run of a cluster fault test (issue #21): {@value #SENDERS} senders (their own connections) of
 * {@code perSender} messages each ({@code -Dcourier.cluster.perSender}, default 10,000), paced at {@code rate} msg/s
 * each ({@code -Dcourier.cluster.rate}, default 400), and one subscription of one group consuming them while a
 * {@link Fault} runs against the cluster ({@link #brokers scripts/brokers cluster}). Lost = a send answered OK whose
 * message never arrived. A send refused with {@link TransportUnavailableException} is counted and sent again (same
 * id) after {@value #RESEND_DELAY_MS} ms until {@link Cluster#giveUp}; any other exception type is recorded and fails
 * {@link Result#check}. Used by each transport's {@code *ClusterFaultTest}.
 */
public final class ClusterFaultRun {
    public static final int SENDERS = 4;
    public static final int PER_SENDER = Integer.getInteger("courier.cluster.perSender", 10_000);
    public static final int RATE_PER_SENDER = Integer.getInteger("courier.cluster.rate", 400);
    static final int IN_FLIGHT = 64;
    static final long RESEND_DELAY_MS = 250;
    static final Duration DRAIN_BOUND = Duration.ofSeconds(90);
    private static final ScheduledExecutorService RESENDS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "resends");
        t.setDaemon(true);
        return t;
    });

    /**
     * What a transport's test says about its cluster: its {@code scripts/brokers cluster} name, a label for the
     * printed lines, the Courier URL of all its nodes, and hooks around a run.
     */
    public interface Cluster {
        /** The broker name for {@code scripts/brokers cluster ACTION BROKER} (nats, kafka …). */
        String broker();

        /** The Courier URL of the cluster (every node). */
        String url();

        /** How long a refused message is sent again before the run gives up on it. */
        default Duration giveUp() { return Duration.ofSeconds(90); }

        /** Once the group's subscription is open, before the senders start (e.g. check the replication). */
        default void subscribed(String group, ClusterFaultRun run) throws Exception {}

        /** The broker's view of the group, for a run that did not drain. */
        default String diagnose(String group) { return ""; }

        /** After the run: remove what the run made on the cluster (unless it did not drain). */
        default void cleanup(String group) {}
    }

    /** The fault of one scenario, run on its own thread while the senders send. */
    public interface Fault { void inject(String group, ClusterFaultRun run) throws Exception; }

    /** Something asked of the cluster about a group: its leaders (for the printed lines), or a wait. */
    public interface GroupQuery<T> { T ask(String group) throws Exception; }

    /**
     * The rolling restart: from 15 % of the answers, every node in turn is SIGKILLed and restarted 1.5 s later; the
     * next one goes only once {@code caughtUp} returns (the operator's rule: every replica of the group in sync again).
     */
    public static Fault rollingRestart(String broker, List<String> nodes, GroupQuery<?> leaders, GroupQuery<?> caughtUp) {
        return (g, run) -> {
            run.awaitSent(0.15);
            for (String n : nodes) {
                Object before = leaders.ask(g);
                brokers(broker, "kill", n);
                run.mark("killed node " + n + " (leaders were " + before + ")");
                Thread.sleep(1_500);
                brokers(broker, "restart", n);
                run.mark("node " + n + " back");
                caughtUp.ask(g);
                run.mark("every replica in sync again (leaders " + leaders.ask(g) + ")");
            }
        };
    }

    /**
     * The leader killed mid-run: at 30 % of the answers the node {@code leader} names (the one leading the group's
     * queue, stream or most partitions) is SIGKILLed; it is restarted at 80 %. Recovery is measured from the kill.
     */
    public static Fault leaderKilled(String broker, GroupQuery<String> leader, GroupQuery<?> leaders) {
        return (g, run) -> {
            String node = leader.ask(g), all = String.valueOf(leaders.ask(g)); // asked before: a slow query must not move the kill
            run.awaitSent(0.3);
            run.mark("kill node " + node + " (leaders " + all + ")");
            brokers(broker, "kill", node);
            run.faultAt(System.nanoTime());
            run.awaitSent(0.8);
            brokers(broker, "restart", node);
            run.mark("node " + node + " back");
        };
    }

    /**
     * Quorum lost: at 25 % of the answers the node {@code leader} names and a second one of {@code nodes} are SIGKILLed
     * together, kept down for {@code outage}, then restarted together. Recovery is measured from the restart.
     */
    public static Fault quorumLost(String broker, List<String> nodes, GroupQuery<String> leader, Duration outage) {
        return (g, run) -> {
            // the leader is asked before the run reaches 25 %: the RabbitMQ query (rabbitmqctl) took 25 s at load ~20,
            // and the kill came after all 40,000 sends were answered (no send refused: the test failed, 2026-12-04)
            String first = leader.ask(g);
            run.awaitSent(0.25);
            String second = nodes.stream().filter(n -> !n.equals(first)).findFirst().orElseThrow();
            brokers(broker, "kill", first + "," + second);
            run.mark("killed nodes " + first + " and " + second + " (quorum lost)");
            run.faultAt(System.nanoTime());
            Thread.sleep(outage.toMillis());
            run.outageEnds(System.nanoTime());
            brokers(broker, "restart", first + "," + second);
            run.mark("both back");
        };
    }

    final Cluster cluster;
    final String label;
    final long t0 = System.nanoTime();
    final int total = SENDERS * PER_SENDER;
    final AtomicInteger answered = new AtomicInteger();
    final Set<String> ok = ConcurrentHashMap.newKeySet();
    final Set<String> refusedIds = ConcurrentHashMap.newKeySet();
    final Set<String> gaveUp = ConcurrentHashMap.newKeySet();
    final Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
    final LongAdder refused = new LongAdder();
    final ConcurrentLinkedQueue<String> otherErrors = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<long[]> okTimes = new ConcurrentLinkedQueue<>(); // {start, end} of OK sends
    final ConcurrentLinkedQueue<long[]> refusedTimes = new ConcurrentLinkedQueue<>(); // {start, end} of refused sends
    final ConcurrentLinkedQueue<Long> deliveryTimes = new ConcurrentLinkedQueue<>();
    volatile long faultAt, outageEnds;

    private ClusterFaultRun(Cluster cluster) {
        this.cluster = cluster;
        this.label = cluster.broker() + " cluster";
    }

    /** Waits (at most 2 minutes) until this fraction of all messages has been answered (OK, or given up). */
    public void awaitSent(double fraction) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (answered.get() < fraction * total && System.nanoTime() < deadline) Thread.sleep(20);
    }

    /** Prints an event of the run, with the time since its start and the sends answered so far. */
    public void mark(String what) {
        System.out.println(label + ": " + String.format("%6.2f s %s (answered %d)", (System.nanoTime() - t0) / 1e9, what, answered.get()));
    }

    /** The moment of the fault (the kill): recovery is measured from here. */
    public void faultAt(long nanoTime) { faultAt = nanoTime; }

    /** The end of an outage (the moment the nodes are started again): recovery is measured from here instead. */
    public void outageEnds(long nanoTime) { outageEnds = nanoTime; }

    /**
     * @param refused sends refused with TransportUnavailableException (attempts; each was sent again)
     * @param refusedMessages distinct messages refused at least once
     * @param okDuringOutage sends started 0.5 s after the fault and answered OK before {@link #outageEnds}
     * @param recovery seconds from the fault (or the end of the outage) to the first OK answer of a send started after it
     * @param longestRefusal longest time a refused attempt took to be refused (the bound on a failing send)
     * @param longestSendGap longest time without any send answered OK, and when it began (seconds into the run)
     */
    public record Result(String label, String name, int sent, int ok, long refused, int refusedMessages, int gaveUp, int lost,
                         int duplicates, List<String> otherErrors, int okDuringOutage, double recovery, double longestRefusal,
                         double longestSendGap, double sendGapAt, double longestDeliveryGap, double deliveryGapAt, double seconds,
                         List<String> lostSample) {
        /** Prints the result and its table row; fails on another exception type, a lost message or one given up on. */
        public void check() {
            System.out.println(label + " result: " + this);
            System.out.printf("%s row: | %s | %,d | %,d | %d | %d | %,d (%,d messages) | %d | %.1f s | %.1f s at %.1f s | %.1f s at %.1f s | %.0f s |%n",
                    label, name, sent, ok, lost, duplicates, refused, refusedMessages, gaveUp, recovery, longestSendGap, sendGapAt,
                    longestDeliveryGap, deliveryGapAt, seconds);
            assertTrue(otherErrors.isEmpty(), "sends failed with another exception than TransportUnavailableException: " + otherErrors);
            assertEquals(0, lost, "messages answered OK but never delivered (e.g. " + lostSample + "): " + this);
            assertEquals(0, gaveUp, "messages still refused after resending them: " + this);
        }

        /** For an outage ({@link #outageEnds}): some sends were refused, and none started during it was answered OK. */
        public void checkOutage(String outage) {
            check();
            assertTrue(refused > 0, "with " + outage + " no send was refused: " + this);
            assertEquals(0, okDuringOutage, "sends were answered OK during the outage (" + outage + "): " + this);
        }
    }

    /** Runs one scenario on a new group {@code cluster-NAME-<random>} and returns its counts. */
    public static Result run(Cluster cluster, String name, Fault fault) throws Exception {
        String g = "cluster-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
        ClusterFaultRun run = new ClusterFaultRun(cluster);
        List<Courier> senders = new ArrayList<>();
        boolean keep = false;
        try (Courier consumer = Courier.connect(cluster.url());
             Subscription sub = consumer.subscribe(SubscriptionOptions.group(g).concurrency(8).prefetch(256).build(), d -> {
                 run.delivered.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet();
                 run.deliveryTimes.add(System.nanoTime());
             })) {
            cluster.subscribed(g, run);
            for (int s = 0; s < SENDERS; s++) senders.add(Courier.connect(cluster.url()));
            CountDownLatch sendersDone = new CountDownLatch(SENDERS);
            for (int s = 0; s < SENDERS; s++) {
                int sender = s;
                Courier c = senders.get(s);
                Thread.ofPlatform().name("sender-" + s).start(() -> {
                    try {
                        run.send(c, g, sender);
                    } finally {
                        sendersDone.countDown();
                    }
                });
            }
            Throwable[] faultFailure = new Throwable[1];
            Thread faultThread = Thread.ofPlatform().name("fault").start(() -> {
                try {
                    fault.inject(g, run);
                } catch (Throwable t) {
                    faultFailure[0] = t;
                }
            });
            assertTrue(sendersDone.await(3, TimeUnit.MINUTES), "the senders did not finish within 3 minutes");
            faultThread.join(TimeUnit.MINUTES.toMillis(4)); // three restarts take up to 70 s each on a busy machine
            if (faultThread.isAlive()) throw new AssertionError("the fault injection was still running 4 minutes after the senders finished");
            if (faultFailure[0] != null) throw new AssertionError("the fault injection failed: " + faultFailure[0], faultFailure[0]);
            run.mark("all sends answered: ok " + run.ok.size() + ", refused " + run.refused.sum());
            long deadline = System.nanoTime() + DRAIN_BOUND.toNanos();
            while (System.nanoTime() < deadline && !run.delivered.keySet().containsAll(run.ok)) Thread.sleep(100);
            boolean drained = run.delivered.keySet().containsAll(run.ok);
            run.mark(drained ? "drained" : "NOT drained after " + DRAIN_BOUND.toSeconds() + " s: " + cluster.diagnose(g));
            keep = !drained;
            Thread.sleep(1_000); // late duplicates
        } finally {
            for (Courier c : senders) c.close();
            if (!keep) cluster.cleanup(g);
        }
        return run.result(name);
    }

    private void send(Courier c, String g, int sender) {
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / RATE_PER_SENDER;
        long next = System.nanoTime();
        for (int i = 0; i < PER_SENDER; i++) {
            long now = System.nanoTime();
            if (next > now) LockSupport.parkNanos(next - now);
            next = Math.max(next + periodNanos, System.nanoTime() - periodNanos); // no burst to catch up after a stall
            inFlight.acquireUninterruptibly();
            String id = g + "-" + sender + "-" + i;
            Message m = Message.to(Destination.any(g)).id(id).payload(("message " + i + " of sender " + sender).getBytes(StandardCharsets.UTF_8)).build();
            attempt(c, m, System.nanoTime(), inFlight);
        }
        inFlight.acquireUninterruptibly(IN_FLIGHT);
    }

    /** One attempt to send {@code m}; a {@link TransportUnavailableException} schedules the next one (same id). */
    private void attempt(Courier c, Message m, long firstAttempt, Semaphore inFlight) {
        long start = System.nanoTime();
        CompletableFuture<Void> f;
        try {
            f = c.send(m);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((v, e) -> {
            boolean done = true;
            try {
                if (e == null) {
                    ok.add(m.id());
                    okTimes.add(new long[] {start, System.nanoTime()});
                } else {
                    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (t instanceof TransportUnavailableException) {
                        refused.increment();
                        refusedIds.add(m.id());
                        refusedTimes.add(new long[] {start, System.nanoTime()});
                        if (System.nanoTime() - firstAttempt < cluster.giveUp().toNanos()) {
                            done = false;
                            RESENDS.schedule(() -> attempt(c, m, firstAttempt, inFlight), RESEND_DELAY_MS, TimeUnit.MILLISECONDS);
                        } else {
                            gaveUp.add(m.id());
                        }
                    } else {
                        otherErrors.add(t.getClass().getName() + ": " + t.getMessage());
                    }
                }
            } finally {
                if (done) {
                    answered.incrementAndGet();
                    inFlight.release();
                }
            }
        });
    }

    private Result result(String name) {
        List<String> lost = ok.stream().filter(id -> !delivered.containsKey(id)).sorted().toList();
        int duplicates = delivered.values().stream().mapToInt(a -> Math.max(0, a.get() - 1)).sum();
        long ref = outageEnds != 0 ? outageEnds : faultAt;
        int okDuringOutage = 0;
        long firstOkEnd = Long.MAX_VALUE;
        List<Long> okEnds = new ArrayList<>();
        for (long[] t : okTimes) {
            okEnds.add(t[1]);
            // sent after the fault (and its connection noticed it) and answered OK before the nodes came back
            if (outageEnds != 0 && t[0] > faultAt + TimeUnit.MILLISECONDS.toNanos(500) && t[1] < outageEnds) okDuringOutage++;
            if (ref != 0 && t[0] >= ref && t[1] < firstOkEnd) firstOkEnd = t[1];
        }
        double recovery = ref != 0 && firstOkEnd != Long.MAX_VALUE ? (firstOkEnd - ref) / 1e9 : Double.NaN;
        double longestRefusal = refusedTimes.stream().mapToLong(t -> t[1] - t[0]).max().orElse(0) / 1e9;
        double[] sendGap = longestGap(okEnds, t0);
        double[] deliveryGap = longestGap(new ArrayList<>(deliveryTimes), t0);
        return new Result(label, name, total, ok.size(), refused.sum(), refusedIds.size(), gaveUp.size(), lost.size(),
                duplicates, List.copyOf(otherErrors).subList(0, Math.min(5, otherErrors.size())), okDuringOutage, recovery,
                longestRefusal, sendGap[0], sendGap[1], deliveryGap[0], deliveryGap[1], (System.nanoTime() - t0) / 1e9,
                lost.subList(0, Math.min(5, lost.size())));
    }

    /** The longest gap between consecutive times, and when it began (seconds since {@code t0}). */
    private static double[] longestGap(List<Long> times, long t0) {
        if (times.size() < 2) return new double[] {Double.NaN, Double.NaN};
        long[] a = times.stream().mapToLong(Long::longValue).sorted().toArray();
        long max = 0, at = a[0];
        for (int i = 1; i < a.length; i++) {
            if (a[i] - a[i - 1] > max) { max = a[i] - a[i - 1]; at = a[i - 1]; }
        }
        return new double[] {max / 1e9, (at - t0) / 1e9};
    }

    /**
     * The failure of the first send to a new group {@code cluster-NAME-<random>} on {@code url} (within 30 s), as
     * {@code type}: fails the test when the send succeeds or fails with another type.
     */
    public static <T extends Throwable> T firstSendFailure(String url, String name, Class<T> type) throws Exception {
        try (Courier c = Courier.connect(url)) {
            String g = "cluster-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
            var e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> c.send(Message.to(Destination.any(g)).payload("x").build()).get(30, TimeUnit.SECONDS));
            return org.junit.jupiter.api.Assertions.assertInstanceOf(type, e.getCause(), String.valueOf(e.getCause()));
        }
    }

    /**
     * {@code scripts/brokers cluster ACTION BROKER [NODE]}, bounded by 120 s; its output goes to
     * {@code target/BROKER-cluster-ACTION.log} and is printed, and into the exception when it fails.
     */
    public static void brokers(String broker, String action, String... node) throws Exception {
        System.out.println(query(broker, action, node));
    }

    /**
     * The output of {@code scripts/brokers cluster ACTION BROKER [ARG]} (e.g. {@code queues rabbitmq}), not printed;
     * bounded by 120 s, kept in {@code target/BROKER-cluster-ACTION.log}; fails with it when the script fails.
     */
    public static String query(String broker, String action, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(RepositoryBrokers.script().toString(), "cluster", action, broker));
        cmd.addAll(List.of(args));
        File log = new File("target/" + broker + "-cluster-" + action + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 120 s (see " + log + ")");
        }
        String out = Files.readString(log.toPath(), StandardCharsets.UTF_8).strip();
        if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
        return out;
    }

    /**
     * A cluster test's prerequisite (a broker binary, a package): when {@code present} is false the test fails under
     * {@code CI=true} and is aborted (reported as skipped, with {@code why}) elsewhere.
     */
    public static void require(boolean present, String why) {
        if (present) return;
        if ("true".equals(System.getenv("CI"))) org.junit.jupiter.api.Assertions.fail(why);
        org.junit.jupiter.api.Assumptions.abort(why);
    }
}
