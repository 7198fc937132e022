package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Destination;
import io.courier.Handler;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * C3 competing and C4 direct: which member of a group gets a message (one at a time, the load spread, the idle
 * member taking a busy one's backlog; {@code uni@group/member} only to its member, {@code any@group/member} sticky
 * with fallback).
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class RoutingClauses extends DeliveryClauses {
    // =====================================================================================================
    // C3 competing
    // =====================================================================================================

    @Test
    @Clause("C3")
    public void c3_oneMemberAtATimeAndTheLoadSpreads() throws Exception {
        String g = group("c3");
        Collector col = new Collector();
        Map<String, String> holders = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            String member = "m" + i;
            Handler h = d -> {
                if (holders.putIfAbsent(d.message().id(), member) != null) overlaps.incrementAndGet();
                try {
                    Thread.sleep(20); // a handler that takes a while: two members would overlap on a message if they could
                    col.record(d, member);
                } finally {
                    holders.remove(d.message().id(), member);
                }
            };
            subscribe(courier, opts(g).member(member).concurrency(2).prefetch(4).build(), h);
        }
        // let the group settle (consumer-group rebalances) before measuring: each member's readiness is observable
        // (Subscription.awaitReady), but not the rebalance that follows the last one joining
        Thread.sleep(2_000);
        List<String> ids = sendAll(courier, g, 600);
        lossCheck(ids, col, LONG);
        assertEquals(0, overlaps.get(), "a message was handled by two members at the same time");
        Thread.sleep(500); // the window of the test: a duplicate delivered to a second member would show in it
        assertEquals(0, col.duplicates(), "messages were delivered to more than one member of a settled group without any fault");
        Map<String, Integer> perMember = new HashMap<>();
        for (Collector.Seen s : col.seen()) perMember.merge(s.member(), 1, Integer::sum);
        for (int i = 0; i < 3; i++) {
            int got = perMember.getOrDefault("m" + i, 0);
            assertTrue(got >= 30, "member m" + i + " handled only " + got + " of 600: the load does not spread " + perMember);
        }
    }

    @Test
    @Clause("C3")
    public void c3_anIdleMemberTakesTheBacklogOfABusyOne() throws Exception {
        String g = group("c3-idle");
        List<String> ids = sendAll(courier, g, 60);
        Receiver busy = receiver(g, "busy", 5, Duration.ofSeconds(60));
        List<Received> held = receiveAtLeast(busy, 1, Duration.ofSeconds(30));
        assertTrue(held.size() <= 5, "receive returned " + held.size() + " deliveries, more than the prefetch of 5");
        Collector col = new Collector();
        subscribe(courier, opts(g).member("idle").concurrency(4).build(), col.as("idle"));
        Set<String> rest = new HashSet<>(ids);
        held.forEach(r -> rest.remove(r.message().id()));
        Set<String> missing = col.awaitAll(rest, Duration.ofSeconds(60));
        assertTrue(missing.isEmpty(), missing.size() + " messages stayed with the busy member instead of going to the idle one");
        busy.ack(held);
    }

    @Test
    @Clause("C3")
    public void c3_severalGroupsAndMembersAreIsolated() throws Exception {
        Map<String, Collector> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            String g = group("c3-iso" + i);
            Collector col = new Collector();
            byGroup.put(g, col);
            for (int m = 0; m < 2; m++) subscribe(courier, opts(g).member("m" + m).build(), col.as("m" + m));
        }
        Map<String, List<String>> sent = new HashMap<>();
        for (String g : byGroup.keySet()) sent.put(g, sendAll(courier, g, 100));
        for (Map.Entry<String, Collector> e : byGroup.entrySet()) {
            lossCheck(sent.get(e.getKey()), e.getValue(), LONG);
        }
        Thread.sleep(500); // the window of the test: a message of another group would show in it
        for (Map.Entry<String, Collector> e : byGroup.entrySet()) {
            Set<String> foreign = e.getValue().ids();
            foreign.removeAll(sent.get(e.getKey()));
            assertTrue(foreign.isEmpty(), "group " + e.getKey() + " received " + foreign.size() + " messages of other groups, e.g. " + foreign.stream().limit(5).toList());
        }
    }

    // =====================================================================================================
    // C4 direct
    // =====================================================================================================

    @Test
    @Clause("C4")
    public void c4_directMessagesReachOnlyTheirMember() throws Exception {
        String g = group("c4");
        Collector a = new Collector();
        Collector b = new Collector();
        subscribe(courier, opts(g).member("a").build(), a.as("a"));
        subscribe(courier, opts(g).member("b").build(), b.as("b"));
        List<String> toA = new ArrayList<>();
        List<String> toB = new ArrayList<>();
        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Message ma = Message.to(Destination.uni(g, "a")).id(msgId(g, i) + "-a").payload("a" + i).build();
            Message mb = Message.to(Destination.uni(g, "b")).id(msgId(g, i) + "-b").payload("b" + i).build();
            batch.add(ma);
            batch.add(mb);
            toA.add(ma.id());
            toB.add(mb.id());
        }
        courier.send(batch).get(60, TimeUnit.SECONDS);
        lossCheck(toA, a, LONG);
        lossCheck(toB, b, LONG);
        Thread.sleep(300); // the window of the test: a message for the other member would show in it
        assertTrue(Collections.disjoint(a.ids(), toB), "member a received messages for b");
        assertTrue(Collections.disjoint(b.ids(), toA), "member b received messages for a");
    }

    @Test
    @Clause("C4")
    public void c4_directMessagesWaitWhileTheirMemberIsOffline() throws Exception {
        String g = group("c4-off");
        Collector other = new Collector();
        subscribe(courier, opts(g).member("other").build(), other.as("other"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Message m = Message.to(Destination.uni(g, "late")).id(msgId(g, i)).payload("x").build();
            courier.send(m).get(60, TimeUnit.SECONDS);
            ids.add(m.id());
        }
        Thread.sleep(2_000); // the window of the test: no direct message may go to another member while its own is offline
        assertEquals(0, other.total(), "a direct message went to another member while its own was offline");
        Collector late = new Collector();
        subscribe(courier, opts(g).member("late").build(), late.as("late"));
        lossCheck(ids, late, LONG);
    }

    @Test
    @Clause("C4")
    public void c4_stickyMessagesPreferTheirMemberAndFallBack() throws Exception {
        String g = group("c4-sticky");
        Collector col = new Collector();
        if (!caps.stickyMember()) {
            // Declared non-sticky: any@group/member must still be delivered to the group.
            subscribe(courier, opts(g).member("b").build(), col.as("b"));
            Message m = Message.to(Destination.sticky(g, "a")).id(msgId(g, 0)).payload("s").build();
            courier.send(m).get(60, TimeUnit.SECONDS);
            lossCheck(List.of(m.id()), col, LONG);
            return;
        }
        Subscription a = subscribe(courier, opts(g).member("a").build(), col.as("a"));
        subscribe(courier, opts(g).member("b").build(), col.as("b"));
        List<String> first = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Message m = Message.to(Destination.sticky(g, "a")).id(msgId(g, i)).payload("s").build();
            courier.send(m).get(60, TimeUnit.SECONDS);
            first.add(m.id());
        }
        lossCheck(first, col, LONG);
        assertTrue(col.seen().stream().allMatch(s -> s.member().equals("a")), "sticky messages went to another member while theirs was subscribed");
        a.close();
        List<String> second = new ArrayList<>();
        for (int i = 20; i < 30; i++) {
            Message m = Message.to(Destination.sticky(g, "a")).id(msgId(g, i)).payload("s").build();
            courier.send(m).get(60, TimeUnit.SECONDS);
            second.add(m.id());
        }
        lossCheck(second, col, LONG);
    }
}
