package io.courier;

import io.courier.spi.Providers;
import io.courier.runtime.BacklogPoller;
import io.courier.runtime.SubscriptionHost;
import io.courier.runtime.SubscriptionRuntime;
import io.courier.runtime.Telemetry;
import io.courier.runtime.Tracing;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Capabilities;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facade the server and the workers program against: {@code Courier.connect(url)}, then {@link #send} and
 * {@link #subscribe}. Changing the URL is the only change needed to move between transports.
 *
 * <pre>{@code
 * try (Courier courier = Courier.connect("kafka://127.0.0.1:9092")) {
 *     courier.send(Message.to("any@orders").payload("hello").build()).join();
 *     courier.subscribe(SubscriptionOptions.group("orders").member("w1").build(), d -> process(d.message()));
 * }
 * }</pre>
 * Thread-safe. Policy (size checks, retries, dead-letters, concurrency, lease extension, close) lives here and in
 * {@link SubscriptionRuntime}, once for every transport.
 */
public final class Courier implements AutoCloseable {
    /** Environment variable read by {@link #connect()}. */
    public static final String URL_ENV = "COURIER_URL";
    private static final Logger log = LoggerFactory.getLogger(Courier.class);

    private final Transport transport;
    private final TransportUrl url;
    private final Telemetry telemetry;
    private final Tracing tracing;
    /** Polls the subscribed groups' backlog once metrics are on, a subscription started and the transport has an admin. */
    private BacklogPoller backlog;
    private boolean backlogChecked;
    private final Duration backlogInterval;
    private final Set<SubscriptionRuntime> subscriptions = ConcurrentHashMap.newKeySet();
    private final Set<CompletableFuture<Void>> pendingSends = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once the subscriptions are closed: dead letters of handlers finishing in their close grace still go out. */
    private volatile boolean sendsClosed;
    private final SubscriptionHost host = new SubscriptionHost() {
        @Override public String transportName() { return url.scheme(); }
        @Override public Receiver openReceiver(ReceiverSpec spec) { return transport.openReceiver(spec); }
        @Override public CompletableFuture<Void> send(Message message) { return Courier.this.send(message); }
        @Override public Telemetry telemetry() { return telemetry; }
        @Override public Tracing tracing() { return tracing; }
    };

    private Courier(Transport transport, TransportUrl url, CourierOptions options) {
        this.transport = transport;
        this.url = url;
        this.telemetry = options.meterRegistry() == null ? Telemetry.NONE : Telemetry.micrometer(options.meterRegistry(), url.scheme());
        this.tracing = options.openTelemetry() == null ? Tracing.NONE : Tracing.openTelemetry(options.openTelemetry(), url.scheme());
        this.backlogInterval = options.backlogInterval();
    }

    /** Starts the backlog gauge's poller at the first subscription, when metrics are on and the transport has an admin. */
    private synchronized void startBacklogPoller() {
        if (backlogChecked || telemetry == Telemetry.NONE) return;
        backlogChecked = true;
        try {
            backlog = transport.admin().map(a -> new BacklogPoller(a, telemetry, backlogInterval, this::subscribedGroups, url.scheme())).orElse(null);
        } catch (RuntimeException e) {
            log.warn("no backlog gauge transport={}: its admin failed: {}", url.scheme(), e.toString());
        }
    }

    private Set<String> subscribedGroups() {
        Set<String> groups = new java.util.TreeSet<>();
        for (SubscriptionRuntime s : subscriptions) if (!s.isClosed()) groups.add(s.group());
        return groups;
    }

    /** Connects with the URL in {@code COURIER_URL}. */
    public static Courier connect() {
        String url = System.getenv(URL_ENV);
        if (url == null || url.isBlank()) {
            throw new InvalidUrlException(URL_ENV + " is not set: set it to a transport URL such as mem://, http://127.0.0.1:8080 or kafka://127.0.0.1:9092");
        }
        return connect(url);
    }

    /**
     * Opens a transport from its URL. Throws {@link InvalidUrlException} for a malformed URL or an unknown or invalid
     * parameter, {@link UnknownSchemeException} listing the schemes on the class path,
     * {@link TransportUnavailableException} when the broker cannot be reached, {@link AuthenticationException} on
     * refused credentials.
     */
    public static Courier connect(String url) { return connect(url, CourierOptions.defaults()); }

    /** Like {@link #connect(String)}, with optional features (metrics) enabled by {@code options}. */
    public static Courier connect(String url, CourierOptions options) {
        TransportUrl parsed = TransportUrl.parse(url);
        TransportProvider provider = Providers.forScheme(parsed.scheme());
        parsed.validate(provider.parameters());
        Transport transport = provider.open(parsed);
        log.info("courier connected transport={} url={}", parsed.scheme(), parsed.redacted());
        return new Courier(transport, parsed, options);
    }

    /** Wraps an already open transport (tests, embedding). */
    public static Courier wrap(Transport transport, TransportUrl url) { return wrap(transport, url, CourierOptions.defaults()); }

    /** Wraps an already open transport with optional features enabled by {@code options}. */
    public static Courier wrap(Transport transport, TransportUrl url, CourierOptions options) {
        return new Courier(transport, url, options);
    }

    /** What the transport declares it can do. */
    public Capabilities capabilities() { return transport.capabilities(); }

    /** The URL, password redacted. */
    public String url() { return url.redacted(); }

    /** The scheme, e.g. {@code kafka}. */
    public String transportName() { return url.scheme(); }

    /** The SPI object underneath, for tooling (the conformance suite) and advanced use. */
    public Transport transport() { return transport; }

    /** Sends one message; completes when the medium durably accepted it (C1). */
    public CompletableFuture<Void> send(Message message) { return send(List.of(message)); }

    /**
     * Sends a batch; completes when every message was durably accepted, exceptionally otherwise. Oversized messages
     * fail at once with {@link PayloadTooLargeException} and nothing of the batch is sent.
     */
    public CompletableFuture<Void> send(List<Message> batch) {
        if (sendsClosed) return CompletableFuture.failedFuture(new CourierException("this Courier is closed: connect again to send"));
        if (batch.isEmpty()) return CompletableFuture.completedFuture(null);
        if (tracing != Tracing.NONE) return traced(batch);
        return sendChecked(batch);
    }

    /** Sends inside one producer span per message, its context injected into the message's headers (C19). */
    private CompletableFuture<Void> traced(List<Message> batch) {
        List<Tracing.Send> sends = new ArrayList<>(batch.size());
        List<Message> injected = new ArrayList<>(batch.size());
        for (Message m : batch) {
            Tracing.Send s = tracing.startSend(m);
            sends.add(s);
            injected.add(s.message());
        }
        CompletableFuture<Void> f = sendChecked(injected);
        f.whenComplete((v, e) -> sends.forEach(s -> s.span().end(e)));
        return f;
    }

    private CompletableFuture<Void> sendChecked(List<Message> batch) {
        long limit = transport.capabilities().maxPayloadBytes();
        for (Message m : batch) {
            long size = sizeOf(m);
            if (size > limit) {
                return CompletableFuture.failedFuture(new PayloadTooLargeException(m.id(), size, limit, url.scheme() + " maximum message size"));
            }
        }
        CompletableFuture<Void> f;
        try {
            f = transport.send(batch);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        pendingSends.add(f);
        long started = telemetry == Telemetry.NONE ? 0 : System.nanoTime();
        f.whenComplete((v, e) -> {
            pendingSends.remove(f);
            if (started != 0) telemetry.sentBatch(batch, System.nanoTime() - started, e);
        });
        return f;
    }

    /** Payload plus header names and values in UTF-8: what every transport counts against its limit. */
    public static long sizeOf(Message m) {
        long size = m.payload().length;
        for (Map.Entry<String, String> h : m.headers().entrySet()) {
            size += h.getKey().length() + h.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        return size;
    }

    /**
     * Starts a subscription: the runtime fetches, runs {@code handler} and settles (see {@link Handler}). Blocks until
     * the transport has opened the subscription's receiver on the broker (destinations created on demand). Throws
     * {@link TransportUnavailableException} when the broker cannot be reached, {@link AuthenticationException} on
     * refused credentials, {@link CourierException} for another refusal of the broker or when this Courier is
     * closed; a failed subscription leaves nothing registered or running.
     */
    public Subscription subscribe(SubscriptionOptions options, Handler handler) {
        if (closed.get()) throw new CourierException("this Courier is closed: connect again to subscribe");
        SubscriptionRuntime s = new SubscriptionRuntime(host, options, handler, subscriptions::remove);
        subscriptions.add(s);
        try {
            if (closed.get()) throw new CourierException("this Courier is closed: connect again to subscribe");
            s.start();
            startBacklogPoller();
        } catch (RuntimeException e) {
            s.close(Duration.ZERO);
            subscriptions.remove(s);
            throw e;
        }
        return s;
    }

    /**
     * Closes every subscription (each with its grace period), waits up to 30 s for sends in flight, then closes the
     * transport. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        synchronized (this) {
            backlogChecked = true;
            if (backlog != null) backlog.close();
        }
        List<Thread> closers = new ArrayList<>();
        for (SubscriptionRuntime s : List.copyOf(subscriptions)) closers.add(Thread.ofVirtual().start(s::close));
        for (Thread t : closers) {
            try { t.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
        sendsClosed = true;
        try {
            CompletableFuture.allOf(pendingSends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("pending sends at close did not all complete: {}", e.toString());
        }
        transport.close();
        log.info("courier closed transport={}", url.scheme());
    }

    /**
     * A snapshot of this Courier's health: whether the transport is reachable (its {@link Transport#reachable()},
     * else judged from the receives: reachable if a subscription's last receive succeeded, unreachable if every
     * subscription's receives are failing) and, for each open subscription, running / recovering / failing, its last
     * receive error and the time since its last successful receive; while the transport is unreachable no subscription
     * is running (at least recovering). Cheap, never blocks on the broker, never throws.
     */
    public Health health() {
        List<SubscriptionHealth> subs = new ArrayList<>();
        for (SubscriptionRuntime s : subscriptions) if (!s.isClosed()) subs.add(s.health());
        Health.Reachability reachable = reachability(subs);
        if (reachable == Health.Reachability.UNREACHABLE) subs.replaceAll(Courier::cutOff);
        return new Health(url.scheme(), reachable, subs);
    }

    /**
     * A subscription whose receives still pass while the broker is unreachable (a client library that recovers
     * behind a buffer, and answers empty meanwhile) receives nothing: it is recovering, not running.
     */
    private static SubscriptionHealth cutOff(SubscriptionHealth s) {
        if (s.state() != SubscriptionHealth.State.RUNNING) return s;
        return new SubscriptionHealth(s.group(), s.member(), SubscriptionHealth.State.RECOVERING,
                s.lastError() != null ? s.lastError() : "the transport reports its connection to the broker lost", s.sinceLastReceive());
    }

    private Health.Reachability reachability(List<SubscriptionHealth> subs) {
        java.util.Optional<Boolean> told;
        try {
            told = closed.get() ? java.util.Optional.of(false) : transport.reachable();
        } catch (RuntimeException e) {
            told = java.util.Optional.empty(); // the SPI says it never throws; a health check must not either
        }
        if (told.isPresent()) return told.get() ? Health.Reachability.REACHABLE : Health.Reachability.UNREACHABLE;
        boolean anyFailing = false;
        for (SubscriptionHealth s : subs) {
            if (s.state() == SubscriptionHealth.State.RUNNING && s.sinceLastReceive() != null) return Health.Reachability.REACHABLE;
            anyFailing |= s.state() != SubscriptionHealth.State.RUNNING;
        }
        return anyFailing ? Health.Reachability.UNREACHABLE : Health.Reachability.UNKNOWN;
    }

    /** Default grace for closing, exposed for tools. */
    public static Duration defaultCloseGrace() { return Duration.ofSeconds(10); }
}
