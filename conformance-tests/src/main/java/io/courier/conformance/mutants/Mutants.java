package io.courier.conformance.mutants;

import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/** The deliberately broken transports, one per clause where possible, and the clause that must catch each. */
public final class Mutants {
    private Mutants() {}

    /** A broken transport: its name, the clause whose tests must fail on it, and how it breaks {@code mem://}. */
    public record Mutant(String name, String clause, String fault, Function<Transport, Transport> wrap) {}

    public static List<Mutant> all() {
        return List.of(
                new Mutant("accepts-without-storing", "C1", "reports success for one send in 100 that it drops", t -> new BrokenTransport(t) {
                    final AtomicLong n = new AtomicLong();
                    @Override protected Message onSend(Message m) { return n.incrementAndGet() % 100 == 0 ? null : m; }
                }),
                new Mutant("loses-one-in-1000", "C2", "acks one delivery in 1,000 without handing it over", t -> new BrokenTransport(t) {
                    final AtomicLong n = new AtomicLong();
                    @Override protected List<Received> onReceive(List<Received> got, Receiver r) {
                        List<Received> out = new ArrayList<>();
                        for (Received d : got) {
                            if (n.incrementAndGet() % 1000 == 0) r.ack(List.of(d)); else out.add(d);
                        }
                        return out;
                    }
                }),
                new Mutant("fans-out-to-all-members", "C3", "hands every delivery to every member of the group, as a broadcast", t -> new BrokenTransport(t) {
                    final List<Received> all = new java.util.concurrent.CopyOnWriteArrayList<>();
                    final java.util.Map<Receiver, Integer> cursors = new java.util.concurrent.ConcurrentHashMap<>();
                    @Override protected List<Received> onReceive(List<Received> got, Receiver r) {
                        all.addAll(got);
                        int from = cursors.getOrDefault(r, 0);
                        List<Received> out = new ArrayList<>(got);
                        for (Received d : all.subList(from, all.size())) if (!got.contains(d)) out.add(d);
                        cursors.put(r, all.size());
                        return out;
                    }
                }),
                new Mutant("ignores-member", "C4", "sends uni@group/member to any member of the group", t -> new BrokenTransport(t) {
                    @Override protected Message onSend(Message m) {
                        return m.destination().isDirect() ? m.toBuilder().destination(Destination.any(m.destination().group())).build() : m;
                    }
                }),
                new Mutant("redelivers-acked", "C5", "delivers an acked message once more", t -> new BrokenTransport(t) {
                    @Override protected void onAck(List<Received> ds, Receiver r) {
                        r.ack(ds);
                        ds.forEach(d -> { if (!d.message().destination().group().endsWith(".dlq")) inner.send(List.of(d.message())); });
                    }
                }),
                new Mutant("never-redelivers-nacked", "C6", "treats a nack as an ack", t -> new BrokenTransport(t) {
                    @Override protected void onNack(List<Received> ds, Duration delay, Receiver r) { r.ack(ds); }
                }),
                new Mutant("strips-dead-letter-reason", "C7", "drops the dead-letter reason header", t -> new BrokenTransport(t) {
                    @Override protected Message onSend(Message m) { return m.toBuilder().removeHeader(Message.DEAD_LETTER_REASON).build(); }
                }),
                new Mutant("drops-a-header", "C8", "loses one header of every message that has several", t -> new BrokenTransport(t) {
                    @Override protected Message onSend(Message m) {
                        if (m.headers().size() < 2) return m;
                        String last = null;
                        for (String k : m.headers().keySet()) last = k;
                        return m.toBuilder().removeHeader(last).build();
                    }
                }),
                new Mutant("redraws-redelivered-ids", "C8", "gives every redelivery a fresh message id", t -> new BrokenTransport(t) {
                    @Override protected List<Received> onReceive(List<Received> got, Receiver r) {
                        return got.stream().<Received>map(d -> d.attempt() == 1 ? d : BrokenTransport.Rewrapped.renamed(d)).toList();
                    }
                }),
                new Mutant("ignores-ordering-key", "C9", "drops the ordering key, so a key's messages run concurrently", t -> new BrokenTransport(t) {
                    @Override protected Message onSend(Message m) { return m.toBuilder().orderingKey(null).build(); }
                }),
                new Mutant("ignores-delay", "C10", "delivers delayed messages at once", t -> new BrokenTransport(t) {
                    @Override protected Message onSend(Message m) { return m.toBuilder().notBefore(null).build(); }
                }),
                new Mutant("ignores-prefetch", "C11", "returns four times as many deliveries as asked for", t -> new BrokenTransport(t) {
                    @Override protected int fetchSize(int max) { return max * 4; }
                }),
                new Mutant("keeps-leases-on-close", "C13", "neither releases nor closes: unfinished work waits for its lease to expire", t -> new BrokenTransport(t) {
                    @Override protected void onNack(List<Received> ds, Duration delay, Receiver r) { if (!delay.isZero()) r.nack(ds, delay); }
                    @Override protected void onClose(Set<Received> unsettled, Receiver r) {}
                }),
                new Mutant("restarts-attempts", "C15", "reports every delivery as attempt 1", t -> new BrokenTransport(t) {
                    @Override protected List<Received> onReceive(List<Received> got, Receiver r) {
                        return got.stream().<Received>map(d -> new Rewrapped(d, 1)).toList();
                    }
                }),
                new Mutant("never-extends-leases", "C16", "ignores lease extensions", t -> new BrokenTransport(t) {
                    @Override protected void onExtend(List<Received> ds, Duration d, Receiver r) {}
                }),
                new Mutant("merges-look-alike-names", "C17", "maps '_' and '-' in group names to '.', as a careless topic naming would", t -> new BrokenTransport(t) {
                    @Override protected Message onSend(Message m) {
                        Destination d = m.destination();
                        String g = merged(d.group());
                        return m.toBuilder().destination(d.isDirect() ? Destination.uni(g, d.member())
                                : d.isSticky() ? Destination.sticky(g, d.member()) : Destination.any(g)).build();
                    }
                    @Override protected ReceiverSpec onOpen(ReceiverSpec s) {
                        return new ReceiverSpec(merged(s.group()), s.member(), s.prefetch(), s.ackDeadline(), s.window());
                    }
                    private static String merged(String group) { return group.replace('_', '.').replace('-', '.'); }
                }),
                new Mutant("leases-outlive-their-consumer", "C18", "extends every lease by an hour when it is taken, so a dead consumer's messages stay locked", t -> new BrokenTransport(t) {
                    @Override protected List<Received> onReceive(List<Received> got, Receiver r) {
                        if (!got.isEmpty()) r.extendLease(got, Duration.ofHours(1));
                        return got;
                    }
                }),
                new Mutant("drops-traceparent", "C19", "does not carry the W3C traceparent header", t -> new BrokenTransport(t) {
                    @Override protected Message onSend(Message m) { return m.toBuilder().removeHeader("traceparent").build(); }
                }));
    }
}
