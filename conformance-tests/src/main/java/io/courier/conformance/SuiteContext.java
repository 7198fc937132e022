package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Handler;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.courier.spi.Capabilities;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.opentest4j.TestAbortedException;

/**
 * What every clause family of {@link ConformanceSuite} shares: the transport under test (opened once per run), the
 * report, fresh group names, the per-test clean-up and the helpers that send, subscribe, receive and check for loss.
 * The families extend it in a chain ({@link DeliveryClauses} … {@link RecoveryClauses}, then {@link ConformanceSuite}),
 * a class chain rather than interfaces so that the tests read this state as fields and a transport's test class can
 * still override {@link #group(String)}; the order of the chain means nothing. Tests run in the order JUnit gave them
 * when the suite was one class ({@link SuiteOrder}). Where JUnit's parallel execution is enabled
 * ({@code junit.jupiter.execution.parallel.enabled}: this module's own build, for {@code mem://}), they run side by side
 * but for the fault tests, C18 and a test class's own tests ({@link SuiteLocks}); elsewhere one after the other, as
 * before. Part of {@link ConformanceSuite}: extend that, not this.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ReportExtension.class)
@TestMethodOrder(SuiteOrder.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(providers = SuiteLocks.class)
public abstract class SuiteContext {
    static final String UNSUPPORTED = "unsupported: ";
    static final String NOT_RUN = "not-run: ";
    /** Longest wait for an expected delivery ({@code courier.conformance.timeoutSeconds}, default 120). */
    final Duration LONG = Duration.ofSeconds(Long.getLong("courier.conformance.timeoutSeconds", 120));

    TransportFixture fx;
    ConformanceReport report;
    Courier courier;
    Capabilities caps;
    private final String runId = UUID.randomUUID().toString().substring(0, 6);
    private final AtomicInteger groupCounter = new AtomicInteger();
    /** What the running test opened, closed when it ends. */
    final TestResources perTest = new TestResources();
    /** Every group {@link #group} named in this run and not deleted yet (see {@link #group}). */
    private final Set<String> createdGroups = ConcurrentHashMap.newKeySet();

    /** The transport under test. Called once per suite run. */
    protected abstract TransportFixture fixture();

    /** The report being built (for extensions and subclasses). */
    public ConformanceReport report() { return report; }

    /** Whether this run writes its report file (the suite's own mutant runs do not). */
    protected boolean writesReport() { return true; }

    /** Called before the report is written: subclasses may add to it (e.g. mutants). */
    protected void beforeReport(ConformanceReport r) {}

    @BeforeAll
    public void openSuite() {
        fx = fixture();
        report = new ConformanceReport(fx.name(), fx.url());
        courier = fx.connect(fx.url());
        caps = courier.capabilities();
    }

    @AfterAll
    public void closeSuite() {
        perTest.endSuite();
        if (courier == null) return;
        deleteGroups();
        courier.close();
    }

    /**
     * Removes from the broker every group this run created and its dead letters, when the transport offers an
     * {@link io.courier.spi.Admin}, so that a run leaves nothing behind. Best effort: a group that cannot be removed
     * (e.g. a Kafka consumer group whose crashed member has not timed out yet) is named on stderr, never a failure; an
     * unreachable transport ends the clean-up at its first group.
     */
    private void deleteGroups() {
        courier.transport().admin().ifPresent(admin -> {
            List<String> left = new ArrayList<>();
            for (String g : createdGroups) {
                try {
                    admin.deleteGroup(g);
                } catch (io.courier.TransportUnavailableException e) {
                    // the broker is gone (e.g. a fixture stopped its own hub already): every other call would wait as long
                    System.err.println("conformance: groups not deleted, the transport is unreachable: " + e.getMessage());
                    return;
                } catch (RuntimeException e) {
                    left.add(g + " (" + e.getMessage() + ")");
                }
            }
            if (!left.isEmpty()) System.err.println("conformance: could not delete " + left.size() + " group(s): " + left);
        });
    }

    /** Deletes {@code group} now if it can (then the run's end need not); quiet: what fails is tried again then. */
    private void deleteNow(String group) {
        if (courier == null) return;
        courier.transport().admin().ifPresent(admin -> {
            try {
                admin.deleteGroup(group);
                createdGroups.remove(group);
            } catch (RuntimeException e) {
                // e.g. a Kafka group whose crashed member has not timed out yet: deleted when the run ends
            }
        });
    }

    @BeforeEach
    public void openTestResources() { perTest.begin(); }

    @AfterEach
    public void closeTestResources() { perTest.end(); }

    static boolean waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        return waitFor(condition, Duration.ofSeconds(10));
    }

    static boolean waitFor(java.util.function.BooleanSupplier condition, Duration timeout) throws InterruptedException {
        return Await.until(condition, timeout);
    }

    // =====================================================================================================
    // helpers
    // =====================================================================================================

    /**
     * A fresh group name for this run, deleted when the test that named it ends (with what it opened, after the
     * subscriptions opened since; tests may run side by side, each deletes only its own). A broker restarted by a later
     * test then restores only that test's queues: ElasticMQ took over 90 s to restore the 115 queues that the earlier
     * tests of a run had left, and SQS C18's restart failed on it (clean-clone run of 9fda0ad). What cannot be deleted
     * yet is tried again when the run ends.
     */
    protected String group(String tag) {
        String g = "ct-" + runId + "-" + tag + "-" + groupCounter.incrementAndGet();
        createdGroups.add(g);
        perTest.add(() -> deleteNow(g));
        return g;
    }

    static String msgId(String group, int i) { return group + "-" + i; }

    static Message msg(String group, int i) {
        return Message.to(Destination.any(group)).id(msgId(group, i)).payload("message " + i).build();
    }

    static List<Message> batch(String group, int from, int n) {
        List<Message> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) out.add(msg(group, i));
        return out;
    }

    static byte[] allBytes() {
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) b[i] = (byte) i;
        return b;
    }

    static int lossCount() { return Integer.getInteger("courier.conformance.messages", 10_000); }

    SubscriptionOptions.Builder opts(String group) {
        return SubscriptionOptions.group(group).pollWait(Duration.ofMillis(200)).closeGrace(Duration.ofSeconds(3))
                .ackDeadline(Duration.ofSeconds(15)).retry(RetryPolicy.exponential(5, Duration.ofMillis(100), Duration.ofSeconds(2)));
    }

    Subscription subscribe(Courier c, SubscriptionOptions o, Handler h) {
        Subscription s = c.subscribe(o, h);
        perTest.add(s);
        return s;
    }

    Courier connectTracked(String url) {
        Courier c = fx.connect(url);
        perTest.add(c);
        return c;
    }

    Receiver receiver(String group, String member, int prefetch, Duration deadline) {
        Receiver r = courier.transport().openReceiver(new ReceiverSpec(group, member, prefetch, deadline));
        perTest.add(r);
        return r;
    }

    static List<Received> receiveAtLeast(Receiver r, int n, Duration timeout) throws InterruptedException {
        List<Received> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (out.size() < n && System.currentTimeMillis() < deadline) {
            out.addAll(r.receive(n - out.size(), Duration.ofMillis(Math.min(1_000, Math.max(1, deadline - System.currentTimeMillis())))));
        }
        return out;
    }

    List<String> sendAll(Courier c, String group, int n) throws Exception {
        List<String> ids = new ArrayList<>(n);
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int i = 0; i < n; i += 100) {
            List<Message> batch = batch(group, i, Math.min(100, n - i));
            batch.forEach(m -> ids.add(m.id()));
            fs.add(c.send(batch));
            if (fs.size() >= 20) {
                for (CompletableFuture<Void> f : fs) f.get(LONG.toSeconds(), TimeUnit.SECONDS);
                fs.clear();
            }
        }
        for (CompletableFuture<Void> f : fs) f.get(LONG.toSeconds(), TimeUnit.SECONDS);
        return ids;
    }

    void lossCheck(java.util.Collection<String> idList, Collector col, Duration timeout) throws InterruptedException {
        Set<String> ids = new HashSet<>(idList);
        Set<String> missing = col.awaitAll(ids, timeout);
        long dups = Math.max(0, col.seen().stream().filter(s -> ids.contains(s.id())).count() - (ids.size() - missing.size()));
        report.count(ids.size(), missing.size(), dups);
        System.out.printf("loss check %s on %s: sent %d, lost %d, duplicates %d%n", currentTest(), fx.name(), ids.size(), missing.size(), dups);
        if (!missing.isEmpty()) {
            fail("lost " + missing.size() + " of " + ids.size() + " messages (e.g. " + missing.stream().limit(5).toList() + ")");
        }
    }

    /** The name of the clause test running this check (its method on the call stack). */
    private static String currentTest() {
        return StackWalker.getInstance().walk(frames -> frames.map(StackWalker.StackFrame::getMethodName)
                .filter(m -> m.matches("c\\d+_.*")).findFirst().orElse("?"));
    }

    static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    String reasonOr(String clause, String fallback) {
        String r = caps.unsupportedReason(clause);
        return r != null ? r : fallback;
    }

    static void unsupported(String reason) { throw new TestAbortedException(UNSUPPORTED + reason); }

    void notRun(String reason) {
        if ("true".equals(System.getenv("CI")) && fx.inRepository()) {
            fail("not-run is a failure under CI=true for a transport of this repository: " + reason);
        }
        throw new TestAbortedException(NOT_RUN + reason);
    }
}
