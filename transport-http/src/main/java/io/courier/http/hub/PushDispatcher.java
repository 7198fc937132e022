package io.courier.http.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.Destination;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.http.PushProtocol;
import io.courier.http.WebhookVerifier;
import io.courier.mem.MemEngine;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Push delivery (issue #16): the hub posts each delivery of a subscribed group to the subscription's HTTP endpoint
 * and settles it by the answer (the table in the module README). Each subscription is one hub session, so it
 * competes with pollers and other endpoints like a member, and its leases go back when it is removed. At most
 * {@code concurrency} requests are in flight per endpoint, and an endpoint only ever holds that many leases plus
 * those it took with 202: an endpoint that fails for hours holds a few leases and its backlog stays in the engine's
 * queues (where it would be anyway), never in buffers of the dispatcher, and other groups have their own sessions
 * and threads.
 */
final class PushDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PushDispatcher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    static final int MAX_SUBSCRIPTIONS = 1_000;
    static final long MAX_RETRY_AFTER_MS = 3_600_000;
    /** How long a request slot stays idle after a not-taken answer: its Retry-After (1 s when absent), within 100 ms to 30 s. */
    static final long NOT_TAKEN_PAUSE_MS = 1_000, MIN_NOT_TAKEN_PAUSE_MS = 100, MAX_NOT_TAKEN_PAUSE_MS = 30_000;
    /** How long a request slot stays idle after a refused connection: 100 ms, doubling per refusal in a row, at most 30 s. */
    static final long MIN_UNREACHABLE_PAUSE_MS = 100, MAX_UNREACHABLE_PAUSE_MS = 30_000;

    private final DurableQueues queues;
    private final ExecutorService executor;
    private final Set<String> allow; // empty: loopback only
    private final HttpClient client;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    /** The endpoint holding each lease it took with 202 (by journal seq): its request slot stays taken until then. */
    private final Map<Long, Endpoint> holders = new ConcurrentHashMap<>();
    private volatile boolean closed;

    PushDispatcher(DurableQueues queues, List<String> allowHosts, ExecutorService executor) {
        this.queues = queues;
        this.executor = executor;
        this.allow = allowHosts == null ? Set.of() : allowHosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT))
                .filter(h -> !h.isEmpty()).collect(Collectors.toUnmodifiableSet());
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(executor).build();
        queues.settleListener(new DurableQueues.SettleListener() {
            @Override public void settled(long seq) { Endpoint e = holders.remove(seq); if (e != null) e.unhold(seq); }
            @Override public void extended(long seq, long millis) { Endpoint e = holders.get(seq); if (e != null) e.extendHold(seq, millis); }
        });
        for (JournalRecord r : queues.recoveredPush()) {
            try {
                start(PushSubscription.fromMessage(r.message()), r.seq());
            } catch (IOException | RuntimeException e) {
                log.error("hub: push subscription {} in the journal is unreadable ({}); skipped", r.message().id(), e.getClass().getSimpleName());
            }
        }
        if (!endpoints.isEmpty()) log.info("hub: {} push subscriptions restored from the journal", endpoints.size());
    }

    String allowDescription() { return allow.isEmpty() ? "loopback only (127.0.0.1, ::1, localhost)" : String.join(", ", allow); }

    boolean allowed(String host) {
        if (host == null) return false;
        String h = host.toLowerCase(Locale.ROOT);
        if (allow.isEmpty()) return h.equals("localhost") || h.equals("[::1]") || h.equals("::1") || h.matches("127(\\.\\d{1,3}){3}");
        return allow.contains(h) || (h.startsWith("[") && allow.contains(h.substring(1, h.length() - 1)));
    }

    // ------------------------------------------------------------------ registration

    /** Validates a {@code POST /v1/push} body (a 400 names the field), journals the subscription, starts it. */
    ObjectNode register(JsonNode body) throws InterruptedException {
        String group = Fields.string(body, "group", "group", true);
        String member = Fields.string(body, "member", "member", false);
        String url = Fields.string(body, "url", "url", true);
        String secret = Fields.string(body, "secret", "secret", false);
        String token = Fields.string(body, "token", "token", false);
        int concurrency = (int) Fields.number(body, "concurrency", "concurrency", 4, 1, 256);
        long timeout = Fields.number(body, "timeoutMs", "timeoutMs", 10_000, 100, 300_000);
        int maxAttempts = (int) Fields.number(body, "maxAttempts", "maxAttempts", 5, 1, 1_000);
        long retryInitial = Fields.number(body, "retryInitialMs", "retryInitialMs", 200, 0, 3_600_000);
        long retryMax = Fields.number(body, "retryMaxMs", "retryMaxMs", 30_000, retryInitial, 24L * 3_600_000);
        long lease = Fields.number(body, "leaseMs", "leaseMs", Math.max(30_000, timeout + 5_000), timeout + 1_000, 24L * 3_600_000);
        long ttl = Fields.number(body, "ttlMs", "ttlMs", 0, 0, 24L * 3_600_000);
        if (ttl > 0 && ttl < 1_000) throw ApiError.badRequest("field 'ttlMs' is " + ttl + ": give 0 (permanent) or 1000 or more");
        String envelope = Fields.string(body, "envelope", "envelope", false);
        if (envelope != null && !envelope.equals("raw") && !envelope.equals("json")) {
            throw ApiError.badRequest("field 'envelope' is '" + envelope + "': give raw (the payload is the body) or json (one JSON document per delivery)");
        }
        PushSubscription sub = build(group, member, url, secret, token, concurrency, timeout, maxAttempts, retryInitial, retryMax, lease, ttl,
                "json".equals(envelope));
        boolean generated = sub.secret() == null && sub.token() == null;
        if (generated) sub = withSecret(sub, "whsec_" + Base64.getEncoder().encodeToString(randomBytes(24)));
        add(sub);
        ObjectNode o = sub.describe();
        if (generated) o.put("secret", sub.secret()); // shown once, to the caller, never in stats or logs
        return o;
    }

    private static PushSubscription withSecret(PushSubscription s, String secret) {
        return new PushSubscription(s.id(), s.group(), s.member(), s.url(), secret, s.token(), s.concurrency(), s.timeoutMs(),
                s.maxAttempts(), s.retryInitialMs(), s.retryMaxMs(), s.leaseMs(), s.ttlMs(), s.jsonEnvelope());
    }

    /** A subscription from its parts, or a 400 naming the problem (the URL shown without user info and query). */
    PushSubscription build(String group, String member, String url, String secret, String token, int concurrency, long timeout,
                           int maxAttempts, long retryInitial, long retryMax, long lease, long ttl, boolean jsonEnvelope) {
        try {
            if (member == null) Destination.any(group); else Destination.uni(group, member);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw ApiError.badRequest("field 'url' is not a valid URL: give e.g. http://127.0.0.1:9000/hook");
        }
        if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
            throw ApiError.badRequest("field 'url' must be an absolute http:// or https:// URL with a host, e.g. http://127.0.0.1:9000/hook");
        }
        if (!allowed(u.getHost())) {
            throw new ApiError(400, "push_host_not_allowed", "push target host '" + u.getHost() + "' is not allowed: this hub posts only to "
                    + allowDescription() + "; start it with --push-allow " + u.getHost() + " to allow it");
        }
        if (secret != null && secret.isEmpty()) throw ApiError.badRequest("field 'secret' is empty: give a secret or leave it out (the hub then makes one)");
        if (secret != null) {
            try {
                WebhookVerifier.sign(secret, "x", 0, new byte[0]);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("field 'secret': " + e.getMessage());
            }
        }
        if (token != null && (token.isEmpty() || !PushWire.printable(token))) throw ApiError.badRequest("field 'token' must be 1 or more printable ASCII characters");
        return new PushSubscription(PushSubscription.newId(), group, member, u, secret, token, concurrency, timeout, maxAttempts,
                retryInitial, retryMax, lease, ttl, jsonEnvelope);
    }

    /** Journals (forced) and starts a subscription. */
    void add(PushSubscription sub) throws InterruptedException {
        if (endpoints.size() >= MAX_SUBSCRIPTIONS) {
            throw new ApiError(409, "too_many_push_subscriptions", "the hub holds " + MAX_SUBSCRIPTIONS + " push subscriptions, its limit: remove some first");
        }
        long seq;
        try {
            seq = queues.journalPush(sub.toMessage()).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw ApiError.journal(e.getCause(), "for the push subscription");
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ApiError(503, "journal_failed", "the hub could not journal the push subscription within 60 s: retry later");
        }
        start(sub, seq);
        log.info("hub: push subscription {} for group {}{} to {} (concurrency {}, timeout {} ms, max attempts {})", sub.id(), sub.group(),
                sub.member() == null ? "" : " member " + sub.member(), sub.safeUrl(), sub.concurrency(), sub.timeoutMs(), sub.maxAttempts());
    }

    private void start(PushSubscription sub, long seq) {
        Endpoint e = new Endpoint(sub, seq);
        endpoints.put(sub.id(), e);
        e.loop = Thread.ofVirtual().name("courier-push-" + sub.id()).start(e::run);
    }

    /** Removes a subscription: journaled, its loop stopped, its leases released. False when unknown. */
    boolean remove(String id) throws InterruptedException {
        Endpoint e = endpoints.remove(id);
        if (e == null) return false;
        e.stop();
        try {
            queues.journalUnpush(e.seq).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException ex) {
            throw ApiError.journal(ex.getCause(), "for the removal");
        } catch (java.util.concurrent.TimeoutException ex) {
            throw new ApiError(503, "journal_failed", "the hub could not journal the removal within 60 s: retry");
        }
        log.info("hub: push subscription {} removed", id);
        return true;
    }

    /**
     * Removes every subscription of {@code group}, with or without a member, as {@link #remove} does (journaled,
     * stopped, leases released): for {@code DELETE /v1/groups/{group}}. Returns how many there were.
     */
    int removeGroup(String group) throws InterruptedException {
        int removed = 0;
        for (Endpoint e : List.copyOf(endpoints.values())) {
            if (e.sub.group().equals(group) && remove(e.sub.id())) removed++;
        }
        return removed;
    }

    /** Renews a subscription with a {@code ttlMs} (its owner is alive). False when unknown. */
    boolean renew(String id) {
        Endpoint e = endpoints.get(id);
        if (e == null) return false;
        e.renewedAt = System.currentTimeMillis();
        return true;
    }

    /** True when a subscription for this group, member and URL exists. */
    boolean has(String group, String member, String url) {
        for (Endpoint e : endpoints.values()) {
            if (e.sub.group().equals(group) && java.util.Objects.equals(e.sub.member(), member) && e.sub.url().toString().equals(url)) return true;
        }
        return false;
    }

    ArrayNode describe() {
        ArrayNode out = JSON.createArrayNode();
        for (Endpoint e : endpoints.values()) {
            ObjectNode o = e.sub.describe();
            o.put("inFlight", e.inFlight.get());
            o.put("maxInFlightSeen", e.maxInFlight.get());
            o.put("pushed", e.pushed.get());
            o.put("acked", e.acked.get());
            o.put("accepted202", e.held.get());
            o.put("retried", e.retried.get());
            o.put("notTaken", e.notTaken.get());
            o.put("unreachable", e.unreachable.get());
            o.put("deadLettered", e.dead.get());
            if (e.last != null) o.put("lastOutcome", e.last);
            out.add(o);
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        for (Endpoint e : endpoints.values()) e.stop();
        client.shutdownNow();
    }

    // ------------------------------------------------------------------ one endpoint

    private final class Endpoint {
        final PushSubscription sub;
        final long seq;
        final String sessionId;
        final Semaphore slots;
        final RetryPolicy retry;
        final AtomicInteger inFlight = new AtomicInteger(), maxInFlight = new AtomicInteger();
        final AtomicLong pushed = new AtomicLong(), acked = new AtomicLong(), held = new AtomicLong(), retried = new AtomicLong(), dead = new AtomicLong(),
                notTaken = new AtomicLong(), unreachable = new AtomicLong();
        /** Connections refused in a row (0 once the endpoint answers): the pause after the next refusal doubles with it. */
        final AtomicInteger refusedInARow = new AtomicInteger();
        volatile String last;
        volatile boolean stopped;
        volatile long renewedAt = System.currentTimeMillis();
        /** Leases taken with 202, by seq, and when each ends: each keeps a slot until settled or ended. */
        final Map<Long, Long> holds = new ConcurrentHashMap<>();
        volatile Sessions.Session session;
        Thread loop;

        Endpoint(PushSubscription sub, long seq) {
            this.sub = sub;
            this.seq = seq;
            this.sessionId = sub.id() + "-" + Long.toHexString(RANDOM.nextLong());
            this.slots = new Semaphore(sub.concurrency());
            this.retry = RetryPolicy.exponential(sub.maxAttempts(), Duration.ofMillis(sub.retryInitialMs()), Duration.ofMillis(sub.retryMaxMs()));
        }

        void unhold(long seq) { if (holds.remove(seq) != null) slots.release(); }

        void extendHold(long seq, long millis) { holds.computeIfPresent(seq, (k, end) -> Math.max(end, System.currentTimeMillis() + millis)); }

        /** Frees the slots of 202 leases that ended unsettled (the hub redelivers them, attempt + 1). */
        void expireHolds() {
            long now = System.currentTimeMillis();
            for (var h : holds.entrySet()) {
                if (h.getValue() <= now && holds.remove(h.getKey(), h.getValue())) {
                    holders.remove(h.getKey(), this);
                    slots.release();
                }
            }
        }

        void stop() {
            stopped = true;
            for (Long seq : holds.keySet()) holders.remove(seq, this);
            queues.sessions().close(sessionId);
            if (loop != null) loop.interrupt();
        }

        /** Takes as many deliveries as there are free request slots, and posts each on its own virtual thread. */
        void run() {
            while (!stopped && !closed) {
                try {
                    if (sub.ttlMs() > 0 && System.currentTimeMillis() - renewedAt > sub.ttlMs()) {
                        log.info("hub: push subscription {} not renewed for {} ms (ttlMs): removed", sub.id(), sub.ttlMs());
                        remove(sub.id());
                        return;
                    }
                    if (session == null || session.closed) session = queues.sessions().open(sessionId, sub.group(), sub.member());
                    expireHolds();
                    long wait = sub.ttlMs() > 0 ? Math.min(5_000, Math.max(100, sub.ttlMs() / 4)) : 5_000; // a ttl is checked this often
                    if (!holds.isEmpty()) wait = Math.min(wait, 200);
                    if (!slots.tryAcquire(wait, TimeUnit.MILLISECONDS)) { session.touch(); continue; } // all busy: keep the session alive
                    int n = 1;
                    while (n < sub.concurrency() && slots.tryAcquire()) n++;
                    List<DurableQueues.Lease> got;
                    try {
                        got = queues.receive(session, n, 2 * wait, sub.leaseMs()).get();
                    } catch (ExecutionException e) {
                        slots.release(n);
                        Thread.sleep(100);
                        continue;
                    }
                    slots.release(n - got.size());
                    for (DurableQueues.Lease l : got) {
                        executor.execute(() -> {
                            boolean held202 = false;
                            try {
                                held202 = push(l);
                            } catch (RuntimeException e) {
                                log.warn("hub: push of {} for {} failed unexpectedly: {}", l.message().id(), sub.id(), e.toString());
                            } finally {
                                if (!held202) slots.release();
                            }
                        });
                    }
                } catch (InterruptedException e) {
                    if (stopped || closed) return;
                } catch (RuntimeException e) {
                    if (stopped || closed) return;
                    log.warn("hub: push loop of {} failed: {}; continuing", sub.id(), e.toString());
                    try { Thread.sleep(500); } catch (InterruptedException ie) { return; }
                }
            }
        }

        /** Posts one delivery and settles it by the answer; true when the endpoint took the lease (202): its slot stays taken. */
        boolean push(DurableQueues.Lease l) {
            MemEngine.Delivered d = queues.parseLease(l.id());
            if (l.attempt() > sub.maxAttempts()) { // a lease that expired (202 and no settlement, or a restart) counted
                deadLetter(d, "attempt " + l.attempt() + " is past maxAttempts " + sub.maxAttempts()
                        + " (the last lease expired unsettled) for push endpoint " + sub.safeUrl());
                return false;
            }
            HttpRequest req = request(l);
            // the slot is the lease's until it is settled: taken now, so that a settlement racing the answer frees it once
            holds.put(d.seq(), Long.MAX_VALUE);
            holders.put(d.seq(), this);
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            pushed.incrementAndGet();
            int status;
            String retryAfter;
            boolean notTakenAnswer;
            try {
                HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
                status = resp.statusCode();
                retryAfter = resp.headers().firstValue("retry-after").orElse(null);
                notTakenAnswer = resp.headers().firstValue(PushProtocol.NOT_TAKEN).isPresent();
                try (InputStream ignored = resp.body()) {
                    // the answer's body is not read: the status and headers settle the delivery
                } catch (IOException ignored) {
                    // nothing to do
                }
            } catch (ConnectException | java.net.http.HttpConnectTimeoutException e) {
                boolean mine = giveBack(d);
                unreachable(l, d, e instanceof ConnectException ? "connection refused or unreachable" : "no connection within 5 s");
                return !mine;
            } catch (HttpTimeoutException e) {
                boolean mine = giveBack(d);
                failed(l, d, "no answer within " + sub.timeoutMs() + " ms");
                return !mine;
            } catch (IOException e) {
                boolean mine = giveBack(d);
                failed(l, d, "connection failed (" + e.getClass().getSimpleName() + ")");
                return !mine;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !giveBack(d); // the hub is stopping: the lease is released with the session
            } finally {
                inFlight.decrementAndGet();
            }
            if (refusedInARow.getAndSet(0) > 0) {
                log.info("hub: push endpoint reachable again transport=http destination={} subscription={} url={}",
                        l.message().destination(), sub.id(), sub.safeUrl());
            }
            if (status == 202) {
                held.incrementAndGet();
                last = "202";
                long end = System.currentTimeMillis() + sub.leaseMs();
                holds.computeIfPresent(d.seq(), (k, v) -> end); // absent: settled already, and its slot freed
                return true;
            }
            boolean mine = giveBack(d);
            if ((status == 429 || status == 503) && notTakenAnswer) {
                notTaken(l, d, status, retryAfter);
                return !mine;
            }
            if (status >= 200 && status < 300) {
                queues.ack(List.of(d));
                acked.incrementAndGet();
                last = String.valueOf(status);
            } else if ((status == 429 || status == 503) && retryAfter != null && PushWire.retryAfterMillis(retryAfter) >= 0) {
                long delay = Math.min(MAX_RETRY_AFTER_MS, PushWire.retryAfterMillis(retryAfter));
                last = status + " Retry-After " + retryAfter;
                if (l.attempt() >= sub.maxAttempts()) {
                    deadLetter(d, "push endpoint " + sub.safeUrl() + " answered HTTP " + status + " (busy) on attempt " + l.attempt() + " of " + sub.maxAttempts());
                } else {
                    retried.incrementAndGet();
                    queues.nack(d, delay);
                }
            } else {
                failed(l, d, "HTTP " + status);
            }
            return !mine;
        }

        /**
         * The endpoint did not take the push: the lease goes back uncounted and at once (another member may take it), and
         * this request slot stays idle for the answer's Retry-After, so that a full endpoint is not pushed to in a loop.
         */
        private void notTaken(DurableQueues.Lease l, MemEngine.Delivered d, int status, String retryAfter) {
            notTaken.incrementAndGet();
            last = status + " not taken";
            queues.release(d);
            long ms = retryAfter == null ? -1 : PushWire.retryAfterMillis(retryAfter);
            long pause = Math.max(MIN_NOT_TAKEN_PAUSE_MS, Math.min(MAX_NOT_TAKEN_PAUSE_MS, ms < 0 ? NOT_TAKEN_PAUSE_MS : ms));
            log.debug("hub: push not taken transport=http destination={} message={} subscription={} (HTTP {}): released uncounted, slot idle {} ms",
                    l.message().destination(), l.message().id(), sub.id(), status, pause);
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * The endpoint could not be reached, so the delivery never left the hub: like a consumer that is not there, this
         * is no attempt of the message (a dead worker's endpoint must not run the messages of its group into the dead
         * letters while other members live). The lease goes back uncounted and at once, and this request slot stays idle
         * for a pause that doubles with every refusal in a row (see {@link #MAX_UNREACHABLE_PAUSE_MS}).
         */
        private void unreachable(DurableQueues.Lease l, MemEngine.Delivered d, String what) {
            unreachable.incrementAndGet();
            last = what;
            queues.release(d);
            int inARow = refusedInARow.incrementAndGet();
            if (inARow == 1) {
                log.warn("hub: push endpoint unreachable transport=http destination={} message={} subscription={} url={} ({}): "
                        + "deliveries go back uncounted, retried with backoff up to {} ms", l.message().destination(), l.message().id(),
                        sub.id(), sub.safeUrl(), what, MAX_UNREACHABLE_PAUSE_MS);
            }
            long pause = Math.min(MAX_UNREACHABLE_PAUSE_MS, MIN_UNREACHABLE_PAUSE_MS << Math.min(inARow - 1, 20));
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Takes the lease's slot back from the holds; false when a settlement freed it already. */
        private boolean giveBack(MemEngine.Delivered d) {
            holders.remove(d.seq(), this);
            return holds.remove(d.seq()) != null;
        }

        private void failed(DurableQueues.Lease l, MemEngine.Delivered d, String what) {
            last = what;
            if (l.attempt() >= sub.maxAttempts()) {
                deadLetter(d, "push to " + sub.safeUrl() + " failed " + l.attempt() + " times, the last: " + what);
            } else {
                retried.incrementAndGet();
                queues.nack(d, retry.delayAfter(l.attempt()).toMillis());
            }
        }

        private void deadLetter(MemEngine.Delivered d, String reason) {
            dead.incrementAndGet();
            queues.deadLetter(d, reason).whenComplete((ok, e) -> {
                if (e != null) log.warn("hub: dead-lettering for push {} failed: {}", sub.id(), e.toString());
            });
        }

        private HttpRequest request(DurableQueues.Lease l) {
            Message m = l.message();
            byte[] body = sub.jsonEnvelope() ? PushWire.jsonEnvelope(l, sub) : m.payload();
            String webhookId = PushWire.webhookId(m);
            long ts = System.currentTimeMillis() / 1000;
            HttpRequest.Builder b = HttpRequest.newBuilder(sub.url()).timeout(Duration.ofMillis(sub.timeoutMs()))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            String type = m.headers().get("content-type");
            b.header("content-type", sub.jsonEnvelope() ? "application/json" : type != null && PushWire.printable(type) ? type : "application/octet-stream");
            b.header("courier-message-id", PushWire.encodedOrHash(m.id()));
            b.header("courier-attempt", String.valueOf(l.attempt()));
            b.header("courier-max-attempts", String.valueOf(sub.maxAttempts()));
            b.header("courier-lease", l.id());
            b.header("courier-lease-ms", String.valueOf(sub.leaseMs()));
            b.header("courier-destination", m.destination().toString());
            b.header("courier-subscription", sub.id());
            if (m.orderingKey() != null && PushWire.printable(m.orderingKey())) b.header("courier-key", m.orderingKey());
            for (var h : m.headers().entrySet()) {
                String v = h.getValue();
                if (PushWire.printable(v)) b.header("courier-header-" + h.getKey(), v);
                else b.header("courier-header-b64-" + h.getKey(), Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8)));
                if ((h.getKey().equals("traceparent") || h.getKey().equals("tracestate")) && PushWire.printable(v)) b.header(h.getKey(), v);
            }
            b.header(WebhookVerifier.ID, webhookId);
            b.header(WebhookVerifier.TIMESTAMP, String.valueOf(ts));
            if (sub.secret() != null) b.header(WebhookVerifier.SIGNATURE, WebhookVerifier.sign(sub.secret(), webhookId, ts, body));
            if (sub.token() != null) b.header("authorization", "Bearer " + sub.token());
            return b.build();
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
