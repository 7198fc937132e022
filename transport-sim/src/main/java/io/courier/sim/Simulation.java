package io.courier.sim;

import io.courier.Delivery;
import io.courier.Destination;
import io.courier.Handler;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import io.courier.mem.MemEngine;
import io.courier.runtime.SettlementPolicy;
import io.courier.sim.Trace.Kind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A deterministic simulation of a group of workers under at-least-once delivery, single-threaded, on virtual time:
 * <pre>{@code
 * Simulation sim = Simulation.seed(42).faults("dup=0.05&drop-ack=0.01&crash=0.01").build();
 * for (int i = 0; i < 100; i++) sim.send("order " + i);
 * Simulation.Result r = sim.run(worker);      // until every message is acked or dead-lettered
 * r.trace().sha256();                          // same seed + same program -> same hash
 * }</pre>
 * Messages live in a {@link MemEngine} (the reference engine) whose clock is the simulation's virtual clock. The
 * simulation itself plays the part of the runtime's fetch loop and workers: it leases deliveries to its members,
 * hands them to the handler one at a time in an order the seeded generator picks, and settles each by the very
 * {@link SettlementPolicy} the runtime uses (ack on return, retry with the {@link RetryPolicy}'s delay drawn from the
 * seeded generator, dead letter after {@code maxAttempts} or on {@link NonRetryableException}, same headers).
 * When nothing is ready it jumps virtual time to the next event (a delay, a backoff, a lease end), so an
 * hour of timeouts runs in microseconds.
 *
 * <p>Every decision comes from one {@link SplittableRandom} seeded with {@link Faults#seed()}, and nothing else
 * (no wall clock, no thread, no hash order of identity-keyed maps) influences the run: the same seed and the same
 * handler give the same {@link Trace}. What breaks determinism is outside: a handler that reads the wall clock,
 * uses its own unseeded randomness or threads, or messages without explicit ids (ids are random UUIDs by default;
 * {@link #send(String)} assigns {@code msg-1}, {@code msg-2} …). Not thread-safe: drive it from one thread.
 */
public final class Simulation {
    /** Virtual time starts here, whatever the wall clock says. */
    public static final Instant EPOCH = Instant.parse("2030-01-01T00:00:00Z");

    private final Faults faults;
    private final String group;
    private final String deadLetterGroup;
    private final RetryPolicy retry;
    private final long ackDeadlineMillis;
    private final int prefetch;
    private final long maxSteps;
    private final SplittableRandom random;
    private final SplittableRandom userRandom;
    private final MemEngine engine;
    private final Trace trace = new Trace();
    private final SpecTrace specTrace = new SpecTrace();
    private final List<Member> members = new ArrayList<>();
    private final List<InTransit> transit = new ArrayList<>();
    private final List<Message> deadLetters = new ArrayList<>();
    private long now = EPOCH.toEpochMilli();
    private long transitSeq;
    private int nextId;
    private int sent;

    private Simulation(Builder b) {
        this.faults = b.faults;
        this.group = b.group;
        this.deadLetterGroup = b.deadLetterGroup != null ? b.deadLetterGroup : b.group + ".dlq";
        this.retry = b.retry;
        this.ackDeadlineMillis = b.ackDeadline.toMillis();
        this.prefetch = b.prefetch;
        this.maxSteps = b.maxSteps;
        this.random = new SplittableRandom(faults.seed());
        this.userRandom = random.split();
        this.engine = new MemEngine(() -> now);
        for (int i = 1; i <= b.members; i++) {
            Member m = new Member("m" + i);
            members.add(m);
            engine.register(group, m.name, m.owner());
        }
    }

    /** Starts building a simulation with this seed (no faults unless set). */
    public static Builder seed(long seed) { return new Builder(seed); }

    // ------------------------------------------------------------------ inputs

    /** Sends a message with a deterministic id ({@code msg-1}, {@code msg-2} …) to {@code any@group}. */
    public Message send(String payload) {
        return send(Message.to(Destination.any(group)).id("msg-" + (++nextId)).payload(payload).build());
    }

    /**
     * Sends a message to a destination of this simulation's group ({@code any@group}, {@code uni@group/m1} …).
     * Give it an explicit id: a random one makes the trace differ from run to run.
     */
    public Message send(Message m) {
        if (!m.destination().group().equals(group)) {
            throw new IllegalArgumentException("this simulation runs group '" + group + "'; cannot send to " + m.destination());
        }
        engine.send(List.of(m));
        specTrace.send(elapsed(), m, m.notBefore() == null ? elapsed() : Math.max(elapsed(), m.notBefore().toEpochMilli() - EPOCH.toEpochMilli()));
        sent++;
        trace.add(elapsed(), Kind.SEND, "-", m.id(), 0, m.destination().toString());
        return m;
    }

    // ------------------------------------------------------------------ running

    /**
     * Delivers until the group is quiet (every message acked or dead-lettered, nothing scheduled), advancing virtual
     * time when nothing is ready. Throws {@link IllegalStateException} past {@code maxSteps} deliveries (a handler
     * that never lets the group become quiet). Exceptions of the handler are not thrown: they are the retry path.
     */
    public Result run(Handler handler) { return run(handler, null); }

    /**
     * Like {@link #run(Handler)}, but stops also once {@code virtualLimit} of virtual time has passed since this
     * call (for programs that keep producing work); null means no limit. The handler may {@link #send} meanwhile.
     */
    public Result run(Handler handler, Duration virtualLimit) {
        Objects.requireNonNull(handler, "handler");
        long until = virtualLimit == null ? Long.MAX_VALUE : now + virtualLimit.toMillis();
        long steps = 0;
        while (now < until) {
            if (roll(faults.disconnect())) {
                Member m = members.get(random.nextInt(members.size()));
                trace.add(elapsed(), Kind.FAULT, m.name, "-", 0, "disconnect leases-released");
                restart(m);
            }
            fill();
            InTransit next = pickArrived();
            if (next == null) {
                long at = nextEventAt();
                if (at == Long.MAX_VALUE) break;
                now = Math.min(until, Math.max(now, at));
                continue;
            }
            if (++steps > maxSteps) {
                throw new IllegalStateException("simulation seed=" + faults.seed() + " not quiet after " + maxSteps
                        + " deliveries (virtual time " + Duration.ofMillis(elapsed()) + "); raise maxSteps or check the handler");
            }
            handle(next, handler);
        }
        return result();
    }

    /** Leases deliveries to members with room, starting at a seeded member. */
    private void fill() {
        int start = members.size() == 1 ? 0 : random.nextInt(members.size());
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get((start + i) % members.size());
            int room = prefetch - m.held;
            if (room <= 0) continue;
            for (MemEngine.Delivered d : engine.poll(group, m.name, m.owner(), room, ackDeadlineMillis)) {
                specTrace.lease(elapsed(), d, elapsed() + ackDeadlineMillis);
                enqueue(m, d);
            }
        }
    }

    private void enqueue(Member m, MemEngine.Delivered d) {
        long delay = faults.delayMax().isZero() ? 0
                : random.nextLong(faults.delayMin().toMillis(), faults.delayMax().toMillis() + 1);
        transit.add(new InTransit(m, d, now + delay, ++transitSeq));
        m.held++;
    }

    /**
     * The arrived delivery handed out next: the earliest, or (reorder fault) a seeded other one that is not behind
     * an earlier arrived delivery of its ordering key.
     */
    private InTransit pickArrived() {
        List<InTransit> arrived = new ArrayList<>();
        for (InTransit t : transit) if (t.arrival <= now) arrived.add(t);
        if (arrived.isEmpty()) return null;
        arrived.sort(IN_ORDER);
        InTransit pick = arrived.get(0);
        if (arrived.size() > 1 && roll(faults.reorder())) {
            List<InTransit> eligible = new ArrayList<>();
            java.util.Set<String> keys = new java.util.HashSet<>();
            for (InTransit t : arrived) {
                String key = t.delivered.message().orderingKey();
                if (key == null || keys.add(key)) eligible.add(t);
            }
            InTransit other = eligible.get(random.nextInt(eligible.size()));
            if (other != pick) {
                trace.add(elapsed(), Kind.FAULT, other.member.name, other.delivered.message().id(), other.delivered.attempt(),
                        "reorder overtakes " + pick.delivered.message().id());
                pick = other;
            }
        }
        transit.remove(pick);
        pick.member.held--;
        return pick;
    }

    /** The next time something can happen without a delivery: an arrival, or (when a member has room) the engine's next event. */
    private long nextEventAt() {
        long at = Long.MAX_VALUE;
        for (InTransit t : transit) if (t.arrival > now) at = Math.min(at, t.arrival);
        boolean room = false;
        for (Member m : members) room |= m.held < prefetch;
        if (room) {
            long engineAt = engine.nextEventAt(group);
            if (engineAt > now) at = Math.min(at, engineAt);
        }
        return at;
    }

    private void handle(InTransit t, Handler handler) {
        MemEngine.Delivered d = t.delivered;
        Member m = t.member;
        SimDelivery sd = new SimDelivery(d, m);
        SettlementPolicy.DeadLetter past = SettlementPolicy.onArrival(d.attempt(), retry);
        if (past != null) {
            deadLetter(sd, past.reason()); // as the runtime does: past the limit, dead-lettered unhandled (C15)
            return;
        }
        trace.add(elapsed(), d.attempt() > 1 ? Kind.REDELIVER : Kind.DELIVER, m.name, d.message().id(), d.attempt(), null);
        specTrace.handle(elapsed(), d);
        if (roll(faults.duplicate())) {
            // the same lease handed out once more: right after (keyed, to keep key order) or after a seeded delay
            trace.add(elapsed(), Kind.FAULT, m.name, d.message().id(), d.attempt(), "dup");
            long delay = d.message().orderingKey() != null || faults.delayMax().isZero() ? 0
                    : random.nextLong(faults.delayMax().toMillis() + 1);
            transit.add(new InTransit(m, d, now + delay, d.message().orderingKey() != null ? -1 : ++transitSeq));
            m.held++;
        }
        Throwable failure = null;
        try {
            handler.handle(sd);
        } catch (Throwable e) {
            failure = e;
        }
        if (sd.settled) return;
        if (roll(faults.crash())) {
            trace.add(elapsed(), Kind.FAULT, m.name, d.message().id(), d.attempt(), "crash after-handling before-ack");
            restart(m);
            return;
        }
        switch (SettlementPolicy.afterHandler(d.attempt(), failure, retry, random)) {
            case SettlementPolicy.Ack a -> ack(sd);
            case SettlementPolicy.DeadLetter dl -> deadLetter(sd, dl.reason());
            case SettlementPolicy.Retry r -> nack(sd, r.delay(), r.reason());
        }
    }

    private boolean ack(SimDelivery sd) {
        if (!sd.settle()) return false;
        if (roll(faults.dropAck())) {
            trace.add(elapsed(), Kind.FAULT, sd.member.name, sd.message().id(), sd.attempt(), "drop-ack");
            return true;
        }
        boolean current = engine.ack(sd.delivered);
        specTrace.ack(elapsed(), sd.delivered, current);
        trace.add(elapsed(), Kind.ACK, sd.member.name, sd.message().id(), sd.attempt(), current ? null : "stale");
        return true;
    }

    private boolean nack(SimDelivery sd, Duration delay, String why) {
        if (!sd.settle()) return false;
        boolean current = engine.nack(sd.delivered, delay.toMillis());
        specTrace.nack(elapsed(), sd.delivered, delay.toMillis(), current);
        trace.add(elapsed(), Kind.NACK, sd.member.name, sd.message().id(), sd.attempt(),
                "delay=" + delay.toMillis() + "ms" + (current ? "" : " stale") + (why == null ? "" : " " + why));
        return true;
    }

    private boolean deadLetter(SimDelivery sd, String reason) {
        if (!sd.settle()) return false;
        Message dead = SettlementPolicy.deadLetterOf(sd.message(), deadLetterGroup, reason, sd.attempt());
        engine.send(List.of(dead));
        deadLetters.add(dead);
        specTrace.deadLetter(elapsed(), sd.delivered, dead, reason, engine.ack(sd.delivered));
        trace.add(elapsed(), Kind.DEAD_LETTER, sd.member.name, sd.message().id(), sd.attempt(), reason);
        return true;
    }

    /** A crash or a dropped connection: the member's leases are released and what it held in transit is lost. */
    private void restart(Member m) {
        specTrace.release(elapsed(), m.owner());
        engine.unregister(group, m.name, m.owner());
        transit.removeIf(t -> t.member == m);
        m.held = 0;
        m.incarnation++;
        engine.register(group, m.name, m.owner());
    }

    private boolean roll(double p) { return p > 0 && random.nextDouble() < p; }

    private long elapsed() { return now - EPOCH.toEpochMilli(); }


    // ------------------------------------------------------------------ outputs

    /** The seed. */
    public long seed() { return faults.seed(); }

    /** The faults and seed this simulation runs with. */
    public Faults faults() { return faults; }

    /** The group the simulated members belong to. */
    public String group() { return group; }

    /** The trace so far. */
    public Trace trace() { return trace; }

    /** The run as a trace of the TLA+ specification's actions (spec/), for trace validation. */
    public SpecTrace specTrace() { return specTrace; }

    /** Dead letters, in the order they were made. */
    public List<Message> deadLetters() { return List.copyOf(deadLetters); }

    /** Virtual now, in epoch milliseconds. */
    public long now() { return now; }

    /** A clock on virtual time, for handlers that need the time. */
    public Clock clock() {
        return new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { throw new UnsupportedOperationException("virtual clock is UTC"); }
            @Override public Instant instant() { return Instant.ofEpochMilli(now); }
        };
    }

    /**
     * A seeded generator for the program under test (e.g. to fail transiently at random). It is split from the
     * simulation's own, so using it does not shift the transport's decisions.
     */
    public RandomGenerator random() { return userRandom; }

    /** Counts of the run so far. */
    public Result result() {
        return new Result(faults.seed(), sent, trace.count(Kind.DELIVER), trace.count(Kind.REDELIVER), trace.count(Kind.ACK),
                trace.count(Kind.NACK), trace.count(Kind.DEAD_LETTER), trace.count(Kind.FAULT), elapsed(), trace);
    }

    /**
     * What a run did.
     *
     * @param seed          the seed
     * @param sent          messages sent
     * @param delivered     first deliveries (attempt 1, duplicates included)
     * @param redelivered   deliveries with attempt above 1
     * @param acked         acks that reached the engine
     * @param nacked        nacks (handler failures retried)
     * @param deadLettered  messages dead-lettered
     * @param faults        faults injected
     * @param virtualMillis virtual time elapsed
     * @param trace         the trace
     */
    public record Result(long seed, int sent, int delivered, int redelivered, int acked, int nacked, int deadLettered,
                         int faults, long virtualMillis, Trace trace) {
        /** One line of counts, e.g. for a CLI. */
        public String summary() {
            return "seed=" + seed + " sent=" + sent + " delivered=" + delivered + " redelivered=" + redelivered + " acked=" + acked
                    + " nacked=" + nacked + " dead-lettered=" + deadLettered + " faults=" + faults + " " + trace.faultCounts()
                    + " virtual-time=" + Duration.ofMillis(virtualMillis) + " events=" + trace.size();
        }
    }

    // ------------------------------------------------------------------ model

    private static final class Member {
        final String name;
        int incarnation;
        int held;

        Member(String name) { this.name = name; }

        String owner() { return name + "#" + incarnation; }
    }

    /** A leased delivery on its way to its member's handler, arriving at {@code arrival} (virtual ms). */
    private record InTransit(Member member, MemEngine.Delivered delivered, long arrival, long seq) {}

    private static final java.util.Comparator<InTransit> IN_ORDER =
            java.util.Comparator.comparingLong(InTransit::arrival).thenComparingLong(InTransit::seq);

    /** The delivery a handler sees; the first settlement wins, as in the runtime. */
    private final class SimDelivery implements Delivery {
        final MemEngine.Delivered delivered;
        final Member member;
        boolean settled;

        SimDelivery(MemEngine.Delivered delivered, Member member) {
            this.delivered = delivered;
            this.member = member;
        }

        boolean settle() {
            if (settled) return false;
            settled = true;
            return true;
        }

        @Override public Message message() { return delivered.message(); }

        @Override public int attempt() { return delivered.attempt(); }

        @Override public boolean ack() { return Simulation.this.ack(this); }

        @Override public boolean nack(Duration delay) { return Simulation.this.nack(this, delay, null); }

        @Override public boolean deadLetter(String reason) { return Simulation.this.deadLetter(this, reason); }
    }

    /** Builds a {@link Simulation}: group {@code sim}, 2 members, prefetch 8, {@link RetryPolicy#defaults()}, ack deadline 30 s. */
    public static final class Builder {
        private Faults faults;
        private String group = "sim";
        private String deadLetterGroup;
        private int members = 2;
        private int prefetch = 8;
        private RetryPolicy retry = RetryPolicy.defaults();
        private Duration ackDeadline = Duration.ofSeconds(30);
        private long maxSteps = 10_000_000;

        private Builder(long seed) { this.faults = Faults.none(seed); }

        /** Fault rates (their seed is replaced by this builder's). */
        public Builder faults(Faults f) { this.faults = f.withSeed(faults.seed()); return this; }

        /** Fault rates as a query, e.g. {@code dup=0.05&drop-ack=0.01} (validated like a {@code sim://} URL). */
        public Builder faults(String query) { return faults(Faults.parse(query)); }

        public Builder group(String g) { Destination.any(g); this.group = g; return this; }

        public Builder deadLetterGroup(String g) { Destination.any(g); this.deadLetterGroup = g; return this; }

        /** Number of members competing in the group (named {@code m1}, {@code m2} …). */
        public Builder members(int n) {
            if (n < 1) throw new IllegalArgumentException("members must be at least 1, got " + n);
            this.members = n;
            return this;
        }

        /** Most deliveries a member holds unsettled (leased, in transit). */
        public Builder prefetch(int n) {
            if (n < 1) throw new IllegalArgumentException("prefetch must be at least 1, got " + n);
            this.prefetch = n;
            return this;
        }

        public Builder retry(RetryPolicy r) { this.retry = Objects.requireNonNull(r); return this; }

        /** Lease of a delivery: a lost ack or a crash makes the message come back after it (virtual time). */
        public Builder ackDeadline(Duration d) {
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("ackDeadline must be positive");
            this.ackDeadline = d;
            return this;
        }

        /** Guard against a run that never becomes quiet. */
        public Builder maxSteps(long n) { this.maxSteps = n; return this; }

        public Simulation build() { return new Simulation(this); }
    }
}
