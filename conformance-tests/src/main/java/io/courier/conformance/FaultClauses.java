package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.courier.Courier;
import io.courier.CourierException;
import io.courier.Message;
import io.courier.TransportUnavailableException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The clauses under faults: C1, C2 and C12 across connection cuts (a TCP proxy in front of the broker) and broker
 * restarts (when the fixture can restart it). Reported {@code not-run} or {@code unsupported} when the fixture or the
 * transport cannot; see {@link #proxy()} and {@link #requireRestart()}.
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class FaultClauses extends ObservabilityClauses {
    // =====================================================================================================
    // C1 accept
    // =====================================================================================================

    @Test
    @Clause("C1")
    public void c1_noSuccessWhileTheBrokerIsUnreachable() throws Exception {
        TcpProxy proxy = proxy();
        Courier viaProxy = connectTracked(fx.urlThrough(proxy.address()));
        String g = group("c1-down");
        viaProxy.send(msg(g, 0)).get(60, TimeUnit.SECONDS);
        proxy.block();
        Message during = msg(g, 1);
        CompletableFuture<Void> f = viaProxy.send(during);
        Thread.sleep(3_000); // the window of the test: no send may report success while the broker is unreachable
        assertFalse(f.isDone() && !f.isCompletedExceptionally(), "send reported success while the broker was unreachable (C1)");
        proxy.unblock();
        boolean accepted;
        try {
            f.get(LONG.toSeconds(), TimeUnit.SECONDS);
            accepted = true;
        } catch (ExecutionException e) {
            accepted = false;
        }
        Collector col = new Collector();
        subscribe(courier, opts(g).build(), col.as("m"));
        List<String> expect = accepted ? List.of(msgId(g, 0), during.id()) : List.of(msgId(g, 0));
        lossCheck(expect, col, LONG);
    }

    // =====================================================================================================
    // C2 at-least-once
    // =====================================================================================================

    @Test
    @Clause("C2")
    public void c2_noLossAcrossBrokerRestartsUnderLoad() throws Exception {
        requireRestart();
        String g = group("c2-restart");
        Collector col = new Collector();
        subscribe(courier, opts(g).concurrency(8).build(), col.as("m"));
        int n = lossCount();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger failedSends = new AtomicInteger();
        List<CompletableFuture<Void>> senders = new ArrayList<>();
        int senderCount = 4;
        for (int s = 0; s < senderCount; s++) {
            int first = s;
            senders.add(CompletableFuture.runAsync(() -> {
                for (int i = first * 50; i < n; i += senderCount * 50) {
                    List<Message> batch = new ArrayList<>();
                    for (int j = i; j < Math.min(n, i + 50); j++) batch.add(msg(g, j));
                    sendUntilAccepted(courier, batch, accepted, failedSends);
                }
            }));
        }
        awaitCount(accepted, n / 3, LONG);
        fx.restartBroker();
        awaitCount(accepted, n / 2, LONG);
        fx.restartBroker();
        CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        lossCheck(accepted, col, Duration.ofMinutes(3));
    }

    @Test
    @Clause("C2")
    public void c2_noLossAcrossConnectionCuts() throws Exception {
        TcpProxy proxy = proxy();
        Courier viaProxy = connectTracked(fx.urlThrough(proxy.address()));
        String g = group("c2-cut");
        Collector col = new Collector();
        subscribe(viaProxy, opts(g).concurrency(4).build(), col.as("m"));
        int n = lossCount();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i += 50) {
                List<Message> batch = new ArrayList<>();
                for (int j = i; j < Math.min(n, i + 50); j++) batch.add(msg(g, j));
                sendUntilAccepted(viaProxy, batch, accepted, failed);
            }
        });
        for (int cut = 0; cut < 4 && !sending.isDone(); cut++) {
            Thread.sleep(1_000); // the fault schedule: a cut every second while the sends go on
            proxy.cut();
        }
        sending.get(5, TimeUnit.MINUTES);
        lossCheck(accepted, col, Duration.ofMinutes(3));
    }

    @Test
    @Clause("C2")
    public void c2_firstMessageAfterAnUncleanDisconnectIsDelivered() throws Exception {
        TcpProxy proxy = proxy();
        Courier viaProxy = connectTracked(fx.urlThrough(proxy.address()));
        String g = group("c2-first");
        Collector col = new Collector();
        subscribe(viaProxy, opts(g).build(), col.as("m"));
        Message warm = msg(g, 0);
        courier.send(warm).get(60, TimeUnit.SECONDS);
        assertTrue(col.awaitAll(List.of(warm.id()), LONG).isEmpty(), "warm-up message not received");
        proxy.cut();
        Message first = msg(g, 1);
        courier.send(first).get(60, TimeUnit.SECONDS);
        lossCheck(List.of(warm.id(), first.id()), col, LONG);
    }

    // =====================================================================================================
    // C12 reconnect
    // =====================================================================================================

    @Test
    @Clause("C12")
    public void c12_sendersAndReceiversResumeAfterAConnectionCut() throws Exception {
        TcpProxy proxy = proxy();
        Courier viaProxy = connectTracked(fx.urlThrough(proxy.address()));
        String g = group("c12-cut");
        Collector col = new Collector();
        subscribe(viaProxy, opts(g).build(), col.as("m"));
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        for (int i = 0; i < 100; i += 10) sendUntilAccepted(viaProxy, batch(g, i, 10), accepted, failed);
        assertTrue(col.awaitAll(accepted, LONG).isEmpty(), "messages before the cut were not received");
        proxy.cut();
        for (int i = 100; i < 200; i += 10) sendUntilAccepted(viaProxy, batch(g, i, 10), accepted, failed);
        lossCheck(accepted, col, LONG);
    }

    @Test
    @Clause("C12")
    public void c12_healthShowsACutConnectionAndItsRecovery() throws Exception {
        TcpProxy proxy = proxy();
        Courier viaProxy = throughProxy(proxy);
        subscribe(viaProxy, opts(group("c12-health")).build(), d -> { });
        assertTrue(waitFor(() -> viaProxy.health().status() == io.courier.Health.Status.UP
                && viaProxy.health().subscriptions().get(0).sinceLastReceive() != null, LONG), "not up before the cut: " + viaProxy.health());
        proxy.block();
        proxy.cut();
        assertTrue(waitFor(() -> viaProxy.health().status() != io.courier.Health.Status.UP, Duration.ofSeconds(90)),
                "health still up 90 s after the connection was cut: " + viaProxy.health());
        io.courier.SubscriptionHealth cut = viaProxy.health().subscriptions().get(0);
        assertTrue(cut.state() != io.courier.SubscriptionHealth.State.RUNNING && cut.lastError() != null,
                "the subscription must be recovering or failing with its last error: " + viaProxy.health());
        System.out.printf("health during a cut on %s: %s%n", fx.name(), viaProxy.health().toJson());
        proxy.unblock();
        assertTrue(waitFor(() -> viaProxy.health().status() == io.courier.Health.Status.UP, LONG), "not up again after the cut: " + viaProxy.health());
    }

    @Test
    @Clause("C12")
    public void c12_sendersAndReceiversResumeAfterABrokerRestart() throws Exception {
        requireRestart();
        String g = group("c12-restart");
        Collector col = new Collector();
        subscribe(courier, opts(g).build(), col.as("m"));
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        for (int i = 0; i < 50; i += 10) sendUntilAccepted(courier, batch(g, i, 10), accepted, failed);
        assertTrue(col.awaitAll(accepted, LONG).isEmpty(), "messages before the restart were not received");
        CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
            try { fx.restartBroker(); } catch (Exception e) { throw new IllegalStateException("restart failed", e); }
        });
        for (int i = 50; i < 150; i += 10) {
            sendUntilAccepted(courier, batch(g, i, 10), accepted, failed);
            Thread.sleep(100); // paced, so that the sends span the restart
        }
        restart.get(5, TimeUnit.MINUTES);
        for (int i = 150; i < 200; i += 10) sendUntilAccepted(courier, batch(g, i, 10), accepted, failed);
        lossCheck(accepted, col, Duration.ofMinutes(3));
    }

    @Test
    @Clause("C12")
    public void c12_anUnreachableBrokerFailsClearlyWithinABoundedTime() throws Exception {
        TcpProxy proxy = proxy();
        proxy.block();
        String url = fx.urlThrough(proxy.address());
        long t0 = System.currentTimeMillis();
        try {
            Courier c = connectTracked(url);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.send(msg(group("c12-down"), 0)).get(LONG.toSeconds() + 60, TimeUnit.SECONDS),
                    "a send to an unreachable broker must fail, not succeed");
            assertTrue(hasCause(e, TransportUnavailableException.class), "expected TransportUnavailableException, got " + e.getCause());
        } catch (TransportUnavailableException expected) {
            assertFalse(expected.getMessage().isBlank());
        }
        assertTrue(System.currentTimeMillis() - t0 < LONG.toMillis() + 60_000, "took too long to fail");
    }

    // =====================================================================================================
    // helpers of the fault tests
    // =====================================================================================================

    /** A Courier of this transport whose connections go through {@code proxy}, closed after the test. */
    Courier throughProxy(TcpProxy proxy) { return connectTracked(fx.urlThrough(proxy.address())); }

    /** A proxy to the broker for cut tests; reports the test unsupported or not-run when impossible. */
    TcpProxy proxy() throws Exception {
        if (caps.unsupportedReason("C12") != null) unsupported(caps.unsupportedReason("C12"));
        InetSocketAddress broker = fx.brokerAddress();
        if (broker == null) notRun("the fixture gives no broker address to put a TCP proxy in front of");
        TcpProxy p = new TcpProxy(broker, fx.proxyPort());
        if (fx.urlThrough(p.address()) == null) {
            p.close();
            notRun(fx.noProxyReason() != null ? fx.noProxyReason() : "the fixture cannot build a URL through a proxy");
        }
        perTest.add(p);
        return p;
    }

    void requireRestart() {
        if (caps.unsupportedReason("C12") != null) unsupported(caps.unsupportedReason("C12"));
        if (!fx.canRestart()) notRun("the fixture cannot restart the broker (give --restart-command)");
    }

    /**
     * Sends a batch until accepted, as a careful producer does during an outage. Failures must be typed
     * (C12: {@link TransportUnavailableException} or another {@link CourierException}).
     */
    void sendUntilAccepted(Courier c, List<Message> batch, Set<String> accepted, AtomicInteger failures) {
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(4).toMillis();
        while (true) {
            try {
                c.send(batch).get(LONG.toSeconds(), TimeUnit.SECONDS);
                batch.forEach(m -> accepted.add(m.id()));
                return;
            } catch (ExecutionException e) {
                failures.incrementAndGet();
                // C12 strict: during an outage a send completes or fails with TransportUnavailableException, the
                // one type a caller can retry on; any other type loses the messages of a caller that trusts it
                if (!(e.getCause() instanceof TransportUnavailableException)) {
                    throw new AssertionError("a send that failed during an outage must fail with TransportUnavailableException (C12), got " + e.getCause(), e.getCause());
                }
            } catch (TimeoutException e) {
                throw new AssertionError("a send neither completed nor failed within " + LONG + " (C12)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            if (System.currentTimeMillis() > deadline) throw new AssertionError("the transport did not recover within 4 minutes");
            sleep(200); // a careful producer's pause before it retries
        }
    }

    static void awaitCount(Set<String> set, int n, Duration timeout) throws InterruptedException {
        if (!waitFor(() -> set.size() >= n, timeout)) throw new AssertionError("only " + set.size() + " of " + n + " sends accepted in " + timeout);
    }

    static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) if (type.isInstance(c)) return true;
        return false;
    }
}
