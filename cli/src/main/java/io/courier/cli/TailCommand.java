package io.courier.cli;

import io.courier.Courier;
import io.courier.Delivery;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code courier tail URL GROUP}: prints the deliveries of a group as they come. By default each delivery is
 * requeued (nacked with no delay) after it is printed, so the group's real consumers still get it; {@code --ack}
 * consumes instead. One delivery is held at a time (prefetch 1). Ctrl-C, {@code --max} and {@code --timeout} close
 * the subscription, which gives back what it still holds.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print the deliveries of GROUP as they come: id, attempt, destination, key, headers, payload (text, or base64 when it is not text).",
                "Default --requeue loses nothing: each delivery is nacked with no delay after it is printed, so it stays for the real consumers; "
                        + "each requeue counts as an attempt, and a message tail already printed is not printed again "
                        + "(tail then pauses, 1 s doubling to 30 s while nothing new comes, so that it does not spin on it). --ack consumes what it prints."},
        footer = {"%nExamples:%n  courier tail amqp://guest:guest@127.0.0.1:5672/ orders",
                "  courier tail postgres://postgres@127.0.0.1:5432/test billing --member w1 --json --max 10 --ack"})
final class TailCommand implements Callable<Integer> {
    /**
     * How long tail first pauses after meeting again a message it already printed (requeue mode); the pause doubles
     * up to {@link #SEEN_PAUSE_MAX} while nothing new comes, so that a tail left running on a group without other
     * consumers adds few attempts.
     */
    static final Duration SEEN_PAUSE = Duration.ofSeconds(1);
    static final Duration SEEN_PAUSE_MAX = Duration.ofSeconds(30);

    @ParentCommand
    CourierCli cli;

    @Mixin
    GroupTarget target;

    @Option(names = "--member", paramLabel = "M", description = "Subscribe as member M: its uni@GROUP/M and sticky messages are shown too.")
    String member;

    @Option(names = "--max", paramLabel = "N", defaultValue = "0", description = "Stop after printing N deliveries (0: no limit).")
    int max;

    @Option(names = "--timeout", paramLabel = "D", description = "Stop after D (e.g. 30s); with --max, not reaching N by then exits 1.")
    String timeout;

    @ArgGroup(exclusive = true)
    Mode mode = new Mode();

    /** {@code --ack} or {@code --requeue} (the default). */
    static final class Mode {
        @Option(names = "--ack", description = "Consume: ack each delivery once printed (the real consumers never see it).")
        boolean ack;

        @Option(names = "--requeue", description = "Default: nack each delivery with no delay once printed, so it stays in the group.")
        boolean requeue;
    }

    private final Set<String> printedIds = ConcurrentHashMap.newKeySet();
    private final AtomicInteger printed = new AtomicInteger();
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile Subscription subscription;
    /** Open once {@link #subscription} is set: a delivery can reach {@link #handle} before {@code subscribe} returns. */
    private final CountDownLatch subscribed = new CountDownLatch(1);
    private long seenPauseMillis = SEEN_PAUSE.toMillis(); // only the one handler thread (concurrency 1) uses it

    @Override
    public Integer call() throws InterruptedException {
        if (max < 0) throw new IllegalArgumentException("--max must be 0 (no limit) or more, got " + max);
        Duration limit = timeout == null ? null : Operators.duration("--timeout", timeout);
        SubscriptionOptions options = SubscriptionOptions.group(target.group).member(member).concurrency(1).prefetch(1)
                .retry(RetryPolicy.immediate(Integer.MAX_VALUE)).closeGrace(Duration.ofSeconds(5)).build();
        CountDownLatch closed = new CountDownLatch(1);
        Thread onCtrlC = new Thread(() -> {
            stop.countDown();
            try { closed.await(15, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }, "courier-tail-stop");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try (Courier courier = target.connect()) {
            subscription = courier.subscribe(options, this::handle);
            subscribed.countDown();
            subscription.awaitReady(Duration.ofSeconds(30));
            cli.err.println("tailing " + target.group + (member == null ? "" : " as member " + member) + " on " + courier.url() + " ("
                    + (mode.ack ? "--ack: consuming" : "--requeue: deliveries stay in the group") + "); Ctrl-C to stop");
            boolean stopped = limit == null ? awaitStop() : stop.await(limit.toMillis(), TimeUnit.MILLISECONDS);
            subscription.close(); // what it still holds goes back to the group
            if (!stopped && max > 0) {
                cli.err.println("courier: tail printed " + printed.get() + " of --max " + max + " deliveries within --timeout " + timeout);
                return CourierCli.FAILED;
            }
            return 0;
        } finally {
            subscribed.countDown();
            closed.countDown();
            try { Runtime.getRuntime().removeShutdownHook(onCtrlC); } catch (IllegalStateException e) { /* the JVM is exiting */ }
        }
    }

    private boolean awaitStop() throws InterruptedException {
        stop.await();
        return true;
    }

    private void handle(Delivery d) throws InterruptedException {
        // without the subscription pause() did nothing: the requeued message came straight back, an attempt each time
        // (attempt 24 under load in SendTailDlqMemTest; 2,423 with subscribe() 300 ms slower to return)
        subscribed.await(30, TimeUnit.SECONDS);
        if (stop.getCount() == 0) { // not ours to show any more: give it back
            pause();
            d.nack(Duration.ZERO);
            return;
        }
        if (mode.ack) { // every delivery is printed, then acked by the runtime on return
            print(d);
            if (stop.getCount() == 0) pause(); // the last one: fetch no more
            return;
        }
        boolean fresh = printedIds.add(d.message().id());
        if (fresh) {
            seenPauseMillis = SEEN_PAUSE.toMillis();
            print(d);
        }
        boolean last = stop.getCount() == 0;
        // paused before the nack, so that the fetch loop does not take the message straight back
        if (last || !fresh) pause();
        d.nack(Duration.ZERO);
        if (!last && !fresh) { // the group has nothing new for tail: let the real consumers have it a while
            boolean stopping = stop.await(seenPauseMillis, TimeUnit.MILLISECONDS);
            seenPauseMillis = Math.min(2 * seenPauseMillis, SEEN_PAUSE_MAX.toMillis());
            Subscription s = subscription;
            if (s != null && !stopping) s.resume();
        }
    }

    private void print(Delivery d) {
        cli.out.print(DeliveryFormat.render(d.message(), d.attempt(), target.json));
        cli.out.flush();
        if (printed.incrementAndGet() == max) stop.countDown();
    }

    private void pause() {
        Subscription s = subscription;
        if (s != null) s.pause();
    }
}
