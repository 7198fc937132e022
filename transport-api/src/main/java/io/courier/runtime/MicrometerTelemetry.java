package io.courier.runtime;

import io.courier.Destination;
import io.courier.Message;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/** {@link Telemetry} through Micrometer: the only class of the runtime that touches Micrometer's types. */
final class MicrometerTelemetry implements Telemetry {
    static final String SENT = "messaging.client.sent.messages";
    static final String CONSUMED = "messaging.client.consumed.messages";
    static final String OPERATION_DURATION = "messaging.client.operation.duration";
    static final String PROCESS_DURATION = "messaging.process.duration";
    static final String REDELIVERIES = "courier.redeliveries";
    static final String DEAD_LETTERS = "courier.dead.letters";
    static final String IN_FLIGHT = "courier.in.flight";
    static final String PREFETCH_USED = "courier.prefetch.used";
    static final String ACKS_PER_CALL = "courier.acks.per.call";
    static final String LEASE_EXTENSIONS = "courier.lease.extensions";
    static final String BACKLOG = "courier.backlog";

    private final MeterRegistry registry;
    private final String system;
    private final Gauges gauges;
    private final Map<String, DistributionSummary> acksPerCall = new ConcurrentHashMap<>();

    /** One subscription's unsettled count and prefetch window (0 for none), summed into its group's gauges. */
    private record Holder(IntSupplier unsettled, IntSupplier window) {}

    /** A gauge's identity in its registry: messaging system and group. */
    private record GaugeKey(String system, String group) {}

    /**
     * What a registry's gauges read, shared by every instance on that registry: Micrometer keeps the first gauge of an
     * id and refuses the others, so the Couriers of one process that share a registry must feed the same objects.
     */
    private static final class Gauges {
        /** The subscriptions' unsettled counts per group, each set read by the group's one in-flight gauge. */
        final Map<GaugeKey, Set<Holder>> inFlight = new ConcurrentHashMap<>();
        /** The last backlog told per group, -1 while unknown, each read by the group's one backlog gauge. */
        final Map<GaugeKey, AtomicLong> backlogs = new ConcurrentHashMap<>();
        /** The groups whose prefetch-use gauge is registered. */
        final Set<GaugeKey> prefetchUse = ConcurrentHashMap.newKeySet();
    }

    /** Per registry (held weakly: a registry that is dropped takes its gauges' state with it). */
    private static final Map<MeterRegistry, Gauges> GAUGES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** What tells the per-message meters apart: group (null for sends), destination, failure class (null: success). */
    private record MeterKey(String group, Destination destination, Class<?> error) { }

    private record SendMeters(Counter sent, Timer duration) { }

    private final Map<MeterKey, SendMeters> sendMeters = new ConcurrentHashMap<>();
    private final Map<MeterKey, Counter> consumedMeters = new ConcurrentHashMap<>();
    private final Map<MeterKey, Timer> processMeters = new ConcurrentHashMap<>();

    MicrometerTelemetry(Object registry, String system) {
        this.registry = (MeterRegistry) registry;
        this.system = system;
        this.gauges = GAUGES.computeIfAbsent(this.registry, r -> new Gauges());
    }

    @Override
    public void sent(Destination destination, int count, long nanos, Throwable error) {
        SendMeters m = lookUp(sendMeters, new MeterKey(null, destination, errorClass(error)), k -> {
            String d = destination.toString(), errorType = errorType(error);
            return new SendMeters(Counter.builder(SENT).tags("messaging.system", system, "messaging.destination.name", d,
                    "messaging.operation.name", "send", "error.type", errorType).register(registry),
                    Timer.builder(OPERATION_DURATION).tags("messaging.system", system, "messaging.destination.name", d,
                            "messaging.operation.name", "send", "error.type", errorType).register(registry));
        });
        m.sent().increment(count);
        m.duration().record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void sentBatch(List<Message> batch, long nanos, Throwable error) {
        if (batch.size() == 1) {
            sent(batch.get(0).destination(), 1, nanos, error);
            return;
        }
        Map<Destination, Integer> perDestination = new LinkedHashMap<>();
        for (Message m : batch) perDestination.merge(m.destination(), 1, Integer::sum);
        perDestination.forEach((destination, count) -> sent(destination, count, nanos, error));
    }

    /** One gauge per group, registered at its first value and held strongly; NaN while the broker cannot tell. */
    @Override
    public void backlog(String group, OptionalLong backlog) {
        AtomicLong value = gauges.backlogs.computeIfAbsent(new GaugeKey(system, group), k -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder(BACKLOG, v, x -> x.get() < 0 ? Double.NaN : x.get()).strongReference(true)
                    .tags("messaging.system", system, "messaging.consumer.group.name", group).register(registry);
            return v;
        });
        value.set(backlog.orElse(-1));
    }

    @Override
    public String prometheusText() { return PrometheusText.of(registry); }

    @Override
    public void consumed(String group, Destination destination, int count) {
        lookUp(consumedMeters, new MeterKey(group, destination, null), k -> Counter.builder(CONSUMED).tags("messaging.system", system,
                "messaging.destination.name", destination.toString(), "messaging.consumer.group.name", group,
                "messaging.operation.name", "receive").register(registry)).increment(count);
    }

    @Override
    public void processed(String group, Destination destination, long nanos, Throwable error) {
        lookUp(processMeters, new MeterKey(group, destination, errorClass(error)), k -> Timer.builder(PROCESS_DURATION).tags(
                "messaging.system", system, "messaging.destination.name", destination.toString(), "messaging.consumer.group.name", group,
                "messaging.operation.name", "process", "error.type", errorType(error)).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void redelivered(String group, int attempt) {
        groupCounter(REDELIVERIES, group, "courier.attempt", Integer.toString(attempt)).increment();
    }

    @Override
    public void deadLettered(String group, String kind) {
        groupCounter(DEAD_LETTERS, group, "courier.dead_letter.reason", kind).increment();
    }

    @Override
    public void leasesExtended(String group, int count) {
        groupCounter(LEASE_EXTENSIONS, group, "messaging.operation.name", "extend").increment(count);
    }

    /**
     * Two gauges per group, registered once and held strongly (Micrometer holds a gauge's object weakly by default: a
     * method reference alone would be collected and read NaN): the in-flight sum over the group's subscriptions, and
     * the prefetch use, that sum over the sum of their current windows.
     */
    @Override
    public Runnable inFlight(String group, IntSupplier unsettled, IntSupplier window) {
        GaugeKey key = new GaugeKey(system, group);
        Set<Holder> members = gauges.inFlight.computeIfAbsent(key, k -> {
            Set<Holder> set = ConcurrentHashMap.newKeySet();
            Gauge.builder(IN_FLIGHT, set, MicrometerTelemetry::unsettled).strongReference(true)
                    .tags("messaging.system", system, "messaging.consumer.group.name", group).register(registry);
            return set;
        });
        if (window != null && gauges.prefetchUse.add(key)) { // a subscription's (the hub's in-flight count has none); once
            Gauge.builder(PREFETCH_USED, members, MicrometerTelemetry::prefetchUse).strongReference(true)
                    .tags("messaging.system", system, "messaging.consumer.group.name", group).register(registry);
        }
        Holder h = new Holder(unsettled, window != null ? window : () -> 0);
        members.add(h);
        return () -> members.remove(h);
    }

    @Override
    public void acksHanded(String group, int count) {
        acksPerCall.computeIfAbsent(group, g -> DistributionSummary.builder(ACKS_PER_CALL)
                .tags("messaging.system", system, "messaging.consumer.group.name", g).register(registry)).record(count);
    }

    private static double unsettled(Set<Holder> holders) {
        long sum = 0;
        for (Holder h : holders) sum += h.unsettled().getAsInt();
        return sum;
    }

    private static double prefetchUse(Set<Holder> holders) {
        long window = 0;
        for (Holder h : holders) window += h.window().getAsInt();
        return window == 0 ? 0 : unsettled(holders) / window;
    }

    private Counter groupCounter(String name, String group, String key, String value) {
        return Counter.builder(name).tags("messaging.system", system, "messaging.consumer.group.name", group, key, value)
                .register(registry);
    }

    /** The meter of {@code key}, built and registered at its first use only (the per-message paths look it up). */
    private static <M> M lookUp(Map<MeterKey, M> meters, MeterKey key, java.util.function.Function<MeterKey, M> build) {
        M m = meters.get(key);
        return m != null ? m : meters.computeIfAbsent(key, build);
    }

    private static Class<?> errorClass(Throwable error) { return error == null ? null : error.getClass(); }

    /** The failure's class name; empty on success (OpenTelemetry leaves error.type unset, Micrometer wants one key set). */
    private static String errorType(Throwable error) {
        return error == null ? "" : error.getClass().getName();
    }
}
