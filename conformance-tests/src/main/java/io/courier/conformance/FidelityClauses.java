package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.PayloadTooLargeException;
import io.courier.RetryPolicy;
import io.courier.SubscriptionOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * C8 fidelity, C9 order, C10 delay and C17 isolation: a message arrives as it was sent (bytes, headers, a plain
 * client's message), in key order, not before its time, and only at its own destination.
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class FidelityClauses extends RedeliveryClauses {
    // =====================================================================================================
    // C8 fidelity
    // =====================================================================================================

    @Test
    @Clause("C8")
    public void c8_payloadsAndHeadersArriveUnchanged() throws Exception {
        String g = group("c8");
        Collector col = new Collector();
        subscribe(courier, opts(g).build(), col.as("m"));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("h-ascii", "plain value");
        headers.put("h-utf8", "grüße ✓ 日本 🚀");
        headers.put("h-empty", "");
        headers.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        long headerBytes = Courier.sizeOf(Message.to(Destination.any(g)).headers(headers).build());
        Random rnd = new Random(42);
        byte[] random64k = new byte[64 * 1024];
        rnd.nextBytes(random64k);
        int max = (int) Math.min(caps.maxPayloadBytes() - headerBytes, 16L * 1024 * 1024);
        byte[] atLimit = new byte[max];
        rnd.nextBytes(atLimit);
        List<byte[]> payloads = List.of(new byte[0], allBytes(), "héllo wörld ✓ 日本 🚀".getBytes(StandardCharsets.UTF_8), random64k, atLimit);
        Map<String, byte[]> sent = new LinkedHashMap<>();
        for (int i = 0; i < payloads.size(); i++) {
            Message m = Message.to(Destination.any(g)).id(msgId(g, i)).payload(payloads.get(i)).headers(headers).build();
            courier.send(m).get(60, TimeUnit.SECONDS);
            sent.put(m.id(), payloads.get(i));
        }
        lossCheck(sent.keySet(), col, LONG);
        for (Collector.Seen s : col.seen()) {
            assertArrayEquals(sent.get(s.id()), s.message().payload(), "payload of " + s.id() + " changed (" + sent.get(s.id()).length + " bytes sent)");
            for (Map.Entry<String, String> h : headers.entrySet()) {
                assertEquals(h.getValue(), s.message().headers().get(h.getKey()), "header " + h.getKey() + " of " + s.id() + " changed");
            }
        }
    }

    @Test
    @Clause("C8")
    public void c8_anOversizedMessageFailsAtSendNamingBothSizes() {
        String g = group("c8-big");
        long limit = caps.maxPayloadBytes();
        Message big = Message.to(Destination.any(g)).payload(new byte[(int) Math.min(limit + 1, Integer.MAX_VALUE - 8)]).build();
        ExecutionException e = assertThrows(ExecutionException.class, () -> courier.send(big).get(60, TimeUnit.SECONDS));
        PayloadTooLargeException p = assertInstanceOf(PayloadTooLargeException.class, e.getCause());
        assertTrue(p.getMessage().contains(Long.toString(limit)) && p.getMessage().contains(Long.toString(limit + 1)), p.getMessage());
    }

    @Test
    @Clause("C8")
    public void c8_aMessageFromAPlainClientIsDeliveredLikeAnyOther() throws Exception {
        TransportFixture.PlainSender plain = fx.plainSender();
        if (plain == null) notRun("the fixture has no plain client of the broker");
        String g = group("c8-plain");
        Collector col = new Collector();
        // the first attempt fails: the redelivery must carry the same id (derived from what the broker keeps)
        subscribe(courier, opts(g).retry(RetryPolicy.immediate(3)).build(), d -> {
            col.record(d, "m");
            if (d.attempt() == 1) throw new IllegalStateException("first attempt fails");
        });
        byte[] payload = "sent by a plain client".getBytes(StandardCharsets.UTF_8);
        plain.send(g, payload, Map.of("plain-header", "yes"));
        assertTrue(col.awaitTotal(2, LONG), "the plain client's message was not delivered and redelivered (seen " + col.total() + ")");
        Message got = col.seen().get(0).message();
        assertArrayEquals(payload, got.payload());
        assertEquals("yes", got.headers().get("plain-header"));
        assertNotNull(got.id(), "a message without a Courier id still has an id");
        assertEquals(1, col.seen().get(0).attempt());
        Collector.Seen again = col.seen().get(1);
        assertEquals(2, again.attempt(), "the redelivery's attempt");
        assertEquals(got.id(), again.id(), "a plain message's id changed between its delivery and its redelivery");
    }

    // =====================================================================================================
    // C9 order
    // =====================================================================================================

    @Test
    @Clause("C9")
    public void c9_sameKeyInSendOrderOneAtATimeWith16KeysAndConcurrentMembers() throws Exception {
        if (!caps.ordering()) unsupported(reasonOr("C9", "the transport declares no ordering by key"));
        String g = group("c9");
        int keys = 16, perKey = 40;
        Map<String, List<Integer>> order = new ConcurrentHashMap<>();
        Map<String, String> active = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        Collector col = new Collector();
        for (int i = 0; i < 3; i++) {
            String member = "m" + i;
            subscribe(courier, opts(g).member(member).concurrency(4).build(), d -> {
                String key = d.message().orderingKey();
                if (active.putIfAbsent(key, member) != null) overlaps.incrementAndGet();
                try {
                    if (col.record(d, member) == 1) order.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).add(Integer.parseInt(d.message().headers().get("seq")));
                    Thread.sleep(1); // a handler that takes a while: two deliveries of a key would overlap if they could
                } finally {
                    active.remove(key, member);
                }
            });
        }
        List<String> ids = new ArrayList<>();
        for (int s = 0; s < perKey; s++) {
            List<Message> batch = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
                Message m = Message.to(Destination.any(g)).id(msgId(g, s * keys + k)).orderingKey("key-" + k).header("seq", Integer.toString(s)).payload("x").build();
                batch.add(m);
                ids.add(m.id());
            }
            courier.send(batch).get(60, TimeUnit.SECONDS);
        }
        lossCheck(ids, col, LONG);
        assertEquals(0, overlaps.get(), "two deliveries of the same key were handled at the same time");
        for (Map.Entry<String, List<Integer>> e : order.entrySet()) {
            List<Integer> seq = e.getValue();
            for (int i = 1; i < seq.size(); i++) {
                assertTrue(seq.get(i) > seq.get(i - 1), "key " + e.getKey() + " delivered out of order: " + seq);
            }
        }
    }

    // =====================================================================================================
    // C10 delay
    // =====================================================================================================

    @Test
    @Clause("C10")
    public void c10_aDelayedMessageIsNotDeliveredBeforeItsTime() throws Exception {
        if (caps.unsupportedReason("C10") != null) unsupported(caps.unsupportedReason("C10"));
        String g = group("c10");
        Collector col = new Collector();
        subscribe(courier, opts(g).concurrency(4).build(), col.as("m"));
        Map<String, Instant> due = new HashMap<>();
        Instant base = Instant.now().plusSeconds(3);
        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Message m = Message.to(Destination.any(g)).id(msgId(g, i)).notBefore(base.plusMillis(i * 100L)).payload("d").build();
            batch.add(m);
            due.put(m.id(), m.notBefore());
        }
        Message now = Message.to(Destination.any(g)).id(msgId(g, 99)).payload("now").build();
        batch.add(now);
        courier.send(batch).get(60, TimeUnit.SECONDS);
        long sentAt = System.currentTimeMillis();
        assertTrue(col.awaitAll(List.of(now.id()), Duration.ofSeconds(30)).isEmpty(), "an undelayed message waited behind delayed ones");
        Set<String> all = new HashSet<>(due.keySet());
        lossCheck(all, col, LONG.plus(caps.delayTolerance()));
        for (Collector.Seen s : col.seen()) {
            Instant d = due.get(s.id());
            if (d == null) continue;
            assertTrue(s.atMillis() >= d.toEpochMilli() - 50, "message " + s.id() + " delivered " + (d.toEpochMilli() - s.atMillis()) + " ms before its not-before time");
        }
        assertTrue(sentAt < base.toEpochMilli(), "sending took too long for the test to mean anything");
    }

    // =====================================================================================================
    // C17 isolation
    // =====================================================================================================

    /**
     * Groups whose names differ only in {@code .}, {@code _} or {@code -}, or end like an adapter's internal
     * resources ({@code .retry}, {@code .member.b}, {@code .key.k}, {@code .fifo}, {@code .delay}), and a member
     * {@code b} beside a group named {@code <g>.member.b}: each receives exactly its own messages, its own
     * redeliveries and its own dead letters, nothing of the others.
     */
    @Test
    @Clause("C17")
    public void c17_groupsWhoseNamesLookAlikeShareNothing() throws Exception {
        String base = group("c17") + "-p.q";
        String stem = base.substring(0, base.length() - "p.q".length());
        List<String> groups = List.of(base, stem + "p_q", stem + "p-q", base + ".retry", base + ".member.b", base + "_member_b",
                base + ".key.k", base + ".fifo", base + "-fifo", base + ".delay");
        Map<String, Collector> live = new LinkedHashMap<>();
        Map<String, Collector> dead = new LinkedHashMap<>();
        Map<String, List<String>> expectLive = new LinkedHashMap<>();
        Map<String, List<String>> expectDead = new LinkedHashMap<>();
        List<Message> sends = new ArrayList<>();
        for (String g : groups) {
            Collector c = new Collector();
            live.put(g, c);
            dead.put(g, new Collector());
            // the base group's only consumer is its member b: it also takes the group's any@ messages
            SubscriptionOptions.Builder o = opts(g).retry(RetryPolicy.immediate(2));
            if (g.equals(base)) o.member("b");
            subscribe(courier, o.build(), d -> {
                c.record(d, g);
                String kind = d.message().headers().get("c17");
                if (kind.equals("dead") || (kind.equals("once") && d.attempt() == 1)) throw new IllegalStateException("c17 " + kind);
            });
            subscribe(courier, opts(g + ".dlq").build(), dead.get(g).as(g + ".dlq"));
            for (String kind : List.of("ok", "once", "dead")) {
                sends.add(Message.to(Destination.any(g)).id(g + "~" + kind).header("c17", kind).payload(g).build());
            }
            expectLive.put(g, new ArrayList<>(List.of(g + "~ok", g + "~once", g + "~dead")));
            expectDead.put(g, List.of(g + "~dead"));
        }
        sends.add(Message.to(Destination.uni(base, "b")).id(base + "~uni-b").header("c17", "ok").payload(base).build());
        expectLive.get(base).add(base + "~uni-b");
        courier.send(sends).get(60, TimeUnit.SECONDS);
        for (String g : groups) {
            // the failed attempts are redeliveries by design: the loss check counts only the dead letters
            Set<String> missing = live.get(g).awaitAll(expectLive.get(g), LONG);
            assertTrue(missing.isEmpty(), "group " + g + " never received its own " + missing);
            lossCheck(expectDead.get(g), dead.get(g), LONG);
        }
        Thread.sleep(1_000); // what would leak into a look-alike group arrives as fast as what arrived at its own
        for (String g : groups) {
            Set<String> foreign = new HashSet<>(live.get(g).ids());
            foreign.removeAll(expectLive.get(g));
            assertTrue(foreign.isEmpty(), "group " + g + " received messages of other groups: " + foreign);
            Set<String> foreignDead = new HashSet<>(dead.get(g).ids());
            foreignDead.removeAll(expectDead.get(g));
            assertTrue(foreignDead.isEmpty(), "the dead letters of " + g + " hold other groups' messages: " + foreignDead);
            assertTrue(live.get(g).seen().stream().anyMatch(x -> x.id().equals(g + "~once") && x.attempt() == 2),
                    "group " + g + " did not get its own redelivery");
        }
    }
}
