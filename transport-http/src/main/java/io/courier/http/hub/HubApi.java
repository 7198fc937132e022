package io.courier.http.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.Destination;
import io.courier.Health;
import io.courier.InvalidMessageException;
import io.courier.Message;
import io.courier.mem.MemEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's HTTP API, version 1 (documented in the module README): {@code POST /v1/send}, {@code POST /v1/receive}
 * (long poll), {@code POST /v1/settle}, {@code POST /v1/close}, {@code GET /v1/health}, {@code GET /v1/stats}.
 * Every answer is JSON; every refusal is {@code {"error": code, "message": text}} naming the field or limit.
 * Nothing a client sends can crash the hub: every failure becomes an answer.
 */
final class HubApi extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(HubApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DurableQueues queues;
    private final HubOptions options;
    private final byte[] expectedAuth;
    private final PushDispatcher push;
    /** Null when the hub runs without metrics ({@code /metrics} then answers 404). */
    private final HubMetrics metrics;

    HubApi(DurableQueues queues, HubOptions options, PushDispatcher push) { this(queues, options, push, null); }

    HubApi(DurableQueues queues, HubOptions options, PushDispatcher push, HubMetrics metrics) {
        this.metrics = metrics;
        this.queues = queues;
        this.push = push;
        this.options = options;
        this.expectedAuth = options.token() == null ? null : ("Bearer " + options.token()).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Runs on a virtual thread (a blocking handler for Jetty), which reads the body and may wait for an fsync; a long
     * poll that has to wait returns at once and is answered when its future completes, holding no thread meanwhile.
     */
    @Override
    public boolean handle(Request req, Response resp, Callback callback) {
        Object answer;
        try {
            answer = route(req);
            drain(req); // a route that does not read its body (renew, DELETE, GET) must not leave it on the connection
        } catch (ApiError e) {
            drain(req);
            answer = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer = shuttingDown();
        } catch (IOException e) {
            log.debug("hub: could not read {} {}: {} (client gone)", req.getMethod(), req.getHttpURI().getPath(), e.toString());
            callback.failed(e);
            return true;
        } catch (RuntimeException e) {
            answer = internal(req, e);
        }
        if (answer instanceof CompletableFuture<?> later) {
            later.whenComplete((v, e) -> respond(resp, callback, e == null ? v
                    : e instanceof ApiError a ? a : internal(req, e)));
        } else {
            respond(resp, callback, answer);
        }
        return true;
    }

    private static ApiError shuttingDown() {
        return new ApiError(503, "shutting_down", "the hub is shutting down: retry against it once it is back");
    }

    private static ApiError internal(Request req, Throwable e) {
        log.warn("hub: {} {} failed: {}", req.getMethod(), req.getHttpURI().getPath(), e.toString(), e);
        return new ApiError(500, "internal", "the hub failed on this request (" + e.getClass().getSimpleName() + "); it is logged; accepted messages are safe");
    }

    private Object route(Request req) throws IOException, InterruptedException {
        String path = req.getHttpURI().getPath();
        String method = req.getMethod();
        authorize(req);
        if (path.startsWith("/v1/push/") && path.endsWith("/renew")) {
            requireMethod(method, "POST");
            ObjectNode o = JSON.createObjectNode();
            o.put("renewed", push.renew(path.substring("/v1/push/".length(), path.length() - "/renew".length())));
            return o;
        }
        if (path.startsWith(GROUPS)) {
            requireMethod(method, "DELETE");
            return deleteGroup(path.substring(GROUPS.length()));
        }
        if (path.startsWith("/v1/push/")) {
            requireMethod(method, "DELETE");
            ObjectNode o = JSON.createObjectNode();
            o.put("removed", push.remove(path.substring("/v1/push/".length())));
            return o;
        }
        return switch (path) {
            case "/v1/push" -> {
                if (method.equals("GET")) { ObjectNode o = JSON.createObjectNode(); o.set("subscriptions", push.describe()); yield o; }
                requireMethod(method, "POST");
                yield push.register(body(req));
            }
            case "/metrics" -> {
                requireMethod(method, "GET");
                if (metrics == null) throw new ApiError(404, "not_found", "this hub runs without metrics: start it with ./courier hub (metrics on)");
                yield new PrometheusAnswer(metrics.scrape());
            }
            case "/v1/health" -> { requireMethod(method, "GET"); yield health(); }
            case "/v1/stats" -> { requireMethod(method, "GET"); yield stats(); }
            case "/v1/send" -> { requireMethod(method, "POST"); yield send(body(req)); }
            case "/v1/receive" -> { requireMethod(method, "POST"); yield receive(body(req)); }
            case "/v1/settle" -> { requireMethod(method, "POST"); yield settle(body(req)); }
            case "/v1/close" -> { requireMethod(method, "POST"); yield close(body(req)); }
            default -> throw new ApiError(404, "not_found", "no endpoint " + path + ": use /v1/send, /v1/receive, /v1/settle, /v1/close, /v1/push, /v1/groups/{group}, /v1/health or /v1/stats");
        };
    }

    private void authorize(Request req) {
        if (expectedAuth == null) return;
        String given = req.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] g = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(g, expectedAuth)) {
            throw new ApiError(401, "unauthorized", (given == null ? "missing" : "wrong") + " bearer token: this hub requires "
                    + "'Authorization: Bearer <token>' with the token it was started with (--token; in a Courier URL: ?token=...)");
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) throw new ApiError(405, "method_not_allowed", "use " + expected + " for this endpoint, not " + method);
    }

    private JsonNode body(Request req) throws IOException {
        long limit = options.maxBodyBytes();
        long length = req.getLength();
        if (length > limit) throw tooLarge("request body of " + length + " bytes");
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(req)) {
            bytes = in.readNBytes((int) (length >= 0 ? length : Math.min(Integer.MAX_VALUE - 8, limit + 1)));
        }
        if (bytes.length > limit) throw tooLarge("request body");
        if (bytes.length == 0) throw ApiError.badRequest("empty request body: send a JSON object");
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) throw ApiError.badRequest("request body must be a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr();
            throw ApiError.badRequest("malformed JSON" + at + ": " + e.getOriginalMessage());
        }
    }

    private ApiError tooLarge(String what) {
        return new ApiError(413, "too_large", what + " exceeds the hub's limit of " + options.maxBodyBytes()
                + " bytes (max-body): send smaller batches");
    }

    // ------------------------------------------------------------------ endpoints

    /**
     * {@link Health#toJson()} of the hub (the same shape as {@code Courier.health()}: reachable while the journal is
     * open, one running subscription per live poller), plus the limits a client needs.
     */
    private ObjectNode health() throws IOException {
        Journal.Health j = queues.journalHealth();
        boolean failed = j.state().equals("failed");
        Health h = new Health("http", queues.isOpen() && !failed ? Health.Reachability.REACHABLE : Health.Reachability.UNREACHABLE,
                queues.sessions().health());
        ObjectNode o = (ObjectNode) JSON.readTree(h.toJson());
        if (j.state().equals("disk_full") && o.path("status").asText().equals("up")) o.put("status", "degraded");
        ObjectNode jn = o.putObject("journal");
        jn.put("state", j.state());
        jn.put("error", j.error());
        jn.put("usableBytes", j.usableBytes());
        jn.put("minFreeBytes", j.minFreeBytes());
        ArrayNode damage = jn.putArray("damage");
        for (JournalDamage d : j.damage()) {
            ObjectNode n = damage.addObject();
            n.put("file", d.file().toString());
            n.put("offset", d.offset());
            n.put("bytes", d.bytes());
            n.put("reason", d.reason());
        }
        jn.put("damagedDir", j.damagedDir() == null ? null : j.damagedDir().toString());
        o.put("maxPayloadBytes", options.maxPayloadBytes());
        o.put("maxBodyBytes", options.maxBodyBytes());
        o.put("sessionTimeoutMs", options.sessionTimeout().toMillis());
        o.put("maxWaitMs", options.maxWait().toMillis());
        return o;
    }

    private static final String GROUPS = "/v1/groups/";

    /**
     * {@code DELETE /v1/groups/{group}}: removes the push subscriptions of the group and of its dead-letter group
     * (first, so that none pushes meanwhile), then both groups; {@code {"deleted": bool, "pushRemoved": n}}.
     */
    private CompletableFuture<ObjectNode> deleteGroup(String group) throws InterruptedException {
        try {
            io.courier.Destination.parse("any@" + group); // the group and its dead-letter group are valid names
            io.courier.Destination.parse("any@" + group + ".dlq");
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("not a group name: " + e.getMessage());
        }
        int pushRemoved = push.removeGroup(group) + push.removeGroup(group + ".dlq");
        return queues.deleteGroup(group).thenCombine(queues.deleteGroup(group + ".dlq"), (main, dead) -> {
            ObjectNode o = JSON.createObjectNode();
            o.put("deleted", main || dead || pushRemoved > 0);
            o.put("pushRemoved", pushRemoved);
            return o;
        });
    }

    private ObjectNode stats() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode groups = o.putArray("groups");
        List<MemEngine.GroupStats> all = queues.stats();
        Map<String, Integer> dead = new java.util.HashMap<>();
        for (MemEngine.GroupStats g : all) dead.put(g.group(), g.depth() + g.inFlight());
        for (MemEngine.GroupStats g : all) {
            ObjectNode n = groups.addObject();
            n.put("group", g.group());
            n.put("depth", g.depth());
            n.put("inFlight", g.inFlight());
            n.put("delayed", g.delayed());
            n.put("liveMembers", g.liveMembers());
            n.put("deadLetters", dead.getOrDefault(g.group() + ".dlq", 0));
        }
        o.put("sessions", queues.sessions().size());
        Journal.Stats j = queues.journalStats();
        ObjectNode jn = o.putObject("journal");
        jn.put("records", j.records());
        jn.put("fsyncs", j.forces());
        jn.put("bytesWritten", j.bytesWritten());
        jn.put("segments", j.segments());
        jn.put("diskBytes", j.diskBytes());
        jn.put("unacked", j.live());
        o.set("push", push.describe()); // without secrets or tokens; URLs without user info and query
        return o;
    }

    private ObjectNode send(JsonNode body) throws InterruptedException {
        JsonNode list = Fields.array(body, "messages", "messages", true);
        List<Message> batch = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) batch.add(message(list.get(i), "messages[" + i + "]"));
        await(queues.send(batch));
        ObjectNode o = JSON.createObjectNode();
        o.put("accepted", batch.size());
        return o;
    }

    private Message message(JsonNode n, String path) {
        if (!n.isObject()) throw ApiError.badRequest("field '" + path + "' must be a JSON object");
        Destination d;
        try {
            d = Destination.parse(Fields.string(n, "destination", path + ".destination", true));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("field '" + path + ".destination': " + e.getMessage());
        }
        Message.Builder b = Message.to(d);
        try {
            b.id(Fields.string(n, "id", path + ".id", false));
        } catch (InvalidMessageException e) {
            throw ApiError.badRequest("field '" + path + ".id': " + e.getMessage());
        }
        JsonNode headers = Fields.object(n, "headers", path + ".headers");
        if (headers != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> h = it.next();
                if (!h.getValue().isTextual()) throw ApiError.badRequest("field '" + path + ".headers." + h.getKey() + "' must be a string");
                try {
                    b.header(h.getKey(), h.getValue().textValue());
                } catch (InvalidMessageException e) {
                    throw ApiError.badRequest("field '" + path + ".headers': " + e.getMessage());
                }
            }
        }
        String payload = Fields.string(n, "payload", path + ".payload", false);
        if (payload != null) {
            try {
                b.payload(Base64.getDecoder().decode(payload));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("field '" + path + ".payload' is not valid base64 (RFC 4648): " + e.getMessage());
            }
        }
        String key = Fields.string(n, "key", path + ".key", false);
        if (key != null && (key.isEmpty() || key.length() > 256)) throw ApiError.badRequest("field '" + path + ".key' must be 1 to 256 characters");
        b.orderingKey(key);
        long notBefore = Fields.number(n, "notBefore", path + ".notBefore", -1, 0, Long.MAX_VALUE);
        long delay = Fields.number(n, "delayMs", path + ".delayMs", 0, 0, 365L * 24 * 3600 * 1000);
        if (notBefore >= 0) b.notBefore(Instant.ofEpochMilli(notBefore));
        else if (delay > 0) b.notBefore(Instant.now().plusMillis(delay));
        Message m = b.build();
        long size = io.courier.Courier.sizeOf(m);
        if (size > options.maxPayloadBytes()) {
            throw new ApiError(413, "too_large", "message " + path + " (id " + m.id() + ") is " + size + " bytes, above the hub's limit of "
                    + options.maxPayloadBytes() + " bytes (max-payload): send a smaller payload");
        }
        return m;
    }

    private CompletableFuture<ObjectNode> receive(JsonNode body) {
        String session = sessionId(body, true);
        String group = Fields.string(body, "group", "group", true);
        String member = Fields.string(body, "member", "member", false);
        try {
            if (member == null) Destination.any(group); else Destination.uni(group, member);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
        int max = (int) Fields.number(body, "max", "max", 1, 1, 10_000);
        long wait = Fields.number(body, "waitMs", "waitMs", 0, 0, options.maxWait().toMillis());
        long lease = Fields.number(body, "leaseMs", "leaseMs", 30_000, 1, 24L * 3600 * 1000);
        Sessions.Session s;
        try {
            s = queues.sessions().open(session, group, member);
        } catch (IllegalArgumentException e) {
            throw new ApiError(409, "session_conflict", e.getMessage());
        }
        return queues.receive(s, max, wait, lease).thenApply(HubApi::deliveries);
    }

    private static ObjectNode deliveries(List<DurableQueues.Lease> leases) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode out = o.putArray("deliveries");
        for (DurableQueues.Lease l : leases) out.add(delivery(l));
        return o;
    }

    /** One delivery as JSON: the form of {@code /v1/receive}'s answers and of a push's JSON envelope. */
    static ObjectNode delivery(DurableQueues.Lease l) {
        Message m = l.message();
        ObjectNode d = JSON.createObjectNode();
        d.put("lease", l.id());
        d.put("attempt", l.attempt());
        d.put("id", m.id());
        d.put("destination", m.destination().toString());
        ObjectNode h = d.putObject("headers");
        m.headers().forEach(h::put);
        d.put("payload", Base64.getEncoder().encodeToString(m.payload()));
        if (m.orderingKey() != null) d.put("key", m.orderingKey());
        if (m.notBefore() != null) d.put("notBefore", m.notBefore().toEpochMilli());
        return d;
    }

    private static String sessionId(JsonNode body, boolean required) {
        String s = Fields.string(body, "session", "session", required);
        if (s != null && (s.isEmpty() || s.length() > 128)) throw ApiError.badRequest("field 'session' must be 1 to 128 characters");
        return s;
    }

    private ObjectNode settle(JsonNode body) throws InterruptedException {
        String session = sessionId(body, false);
        queues.sessions().touch(session);
        List<MemEngine.Delivered> acks = new ArrayList<>();
        JsonNode ackList = Fields.array(body, "ack", "ack", false);
        if (ackList != null) for (int i = 0; i < ackList.size(); i++) acks.add(lease(Fields.lease(ackList.get(i), "ack[" + i + "]"), "ack[" + i + "]"));
        List<MemEngine.Delivered> releases = new ArrayList<>();
        JsonNode releaseList = Fields.array(body, "release", "release", false);
        if (releaseList != null) {
            for (int i = 0; i < releaseList.size(); i++) releases.add(lease(Fields.lease(releaseList.get(i), "release[" + i + "]"), "release[" + i + "]"));
        }
        int nacked = 0, extended = 0, dead = 0, released = 0;
        JsonNode nacks = Fields.array(body, "nack", "nack", false);
        JsonNode extends_ = Fields.array(body, "extend", "extend", false);
        JsonNode deads = Fields.array(body, "deadLetter", "deadLetter", false);
        // validate everything before changing anything
        List<MemEngine.Delivered> nackLeases = leases(nacks, "nack");
        List<MemEngine.Delivered> extendLeases = leases(extends_, "extend");
        List<MemEngine.Delivered> deadLeases = leases(deads, "deadLetter");
        long[] delays = new long[nackLeases.size()], extensions = new long[extendLeases.size()];
        for (int i = 0; i < delays.length; i++) {
            delays[i] = Fields.number(nacks.get(i), "delayMs", "nack[" + i + "].delayMs", 0, 0, 365L * 24 * 3600 * 1000);
        }
        for (int i = 0; i < extensions.length; i++) {
            extensions[i] = Fields.number(extends_.get(i), "ms", "extend[" + i + "].ms", 30_000, 1, 24L * 3600 * 1000);
        }
        String[] reasons = new String[deadLeases.size()];
        for (int i = 0; i < reasons.length; i++) {
            String reason = Fields.string(deads.get(i), "reason", "deadLetter[" + i + "].reason", false);
            reasons[i] = reason == null ? "dead-lettered by the worker" : reason;
        }
        // the request is valid: apply it
        for (int i = 0; i < delays.length; i++) nacked += queues.nack(nackLeases.get(i), delays[i]);
        for (MemEngine.Delivered d : releases) released += queues.release(d);
        for (int i = 0; i < extensions.length; i++) extended += queues.extend(extendLeases.get(i), extensions[i]);
        List<CompletableFuture<Boolean>> deadDone = new ArrayList<>();
        for (int i = 0; i < reasons.length; i++) deadDone.add(queues.deadLetter(deadLeases.get(i), reasons[i]));
        int acked = await(queues.ack(acks));
        for (CompletableFuture<Boolean> f : deadDone) if (Boolean.TRUE.equals(await(f))) dead++;
        ObjectNode o = JSON.createObjectNode();
        o.put("acked", acked);
        o.put("nacked", nacked);
        o.put("released", released);
        o.put("extended", extended);
        o.put("deadLettered", dead);
        return o;
    }

    private List<MemEngine.Delivered> leases(JsonNode list, String field) {
        List<MemEngine.Delivered> out = new ArrayList<>();
        if (list == null) return out;
        for (int i = 0; i < list.size(); i++) {
            String path = field + "[" + i + "]";
            if (!list.get(i).isObject()) throw ApiError.badRequest("field '" + path + "' must be an object with a 'lease' field");
            out.add(lease(Fields.lease(list.get(i), path), path));
        }
        return out;
    }

    private MemEngine.Delivered lease(String id, String path) {
        try {
            return queues.parseLease(id);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("field '" + path + "': " + e.getMessage());
        }
    }

    private ObjectNode close(JsonNode body) {
        boolean closed = queues.sessions().close(sessionId(body, true));
        ObjectNode o = JSON.createObjectNode();
        o.put("closed", closed);
        return o;
    }

    // ------------------------------------------------------------------ plumbing

    private static <T> T await(CompletableFuture<T> f) throws InterruptedException {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (!(cause instanceof DiskFullException || cause instanceof JournalFailedException || cause instanceof HubFullException)) { // logged where made
                log.warn("transport=http hub: journal write failed: {}", cause.toString());
            }
            throw ApiError.journal(cause, "for this request; nothing of it was accepted");
        } catch (TimeoutException e) {
            throw new ApiError(503, "journal_slow", "the hub's journal did not confirm the write within 60 s: retry (the send may have been accepted; ids make resends safe)");
        }
    }

    /** Reads and drops what is left of a refused request's body (up to 1 MiB), so that the connection stays usable. */
    private static void drain(Request req) {
        try (InputStream in = Content.Source.asInputStream(req)) {
            in.skip(1 << 20);
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    /** A {@code /metrics} answer: Prometheus text, not JSON. */
    private record PrometheusAnswer(String text) { }

    private static void respond(Response resp, Callback callback, Object answer) {
        if (answer instanceof PrometheusAnswer p) {
            byte[] text = p.text().getBytes(StandardCharsets.UTF_8);
            resp.setStatus(200);
            resp.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, text.length);
            resp.write(true, ByteBuffer.wrap(text), callback);
            return;
        }
        int status = 200;
        JsonNode json;
        if (answer instanceof ApiError e) {
            status = e.status;
            ObjectNode o = JSON.createObjectNode();
            o.put("error", e.code);
            o.put("message", e.getMessage());
            json = o;
        } else {
            json = (JsonNode) answer;
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            callback.failed(e);
            return;
        }
        resp.setStatus(status);
        resp.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        if (status == 401) resp.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
        if (status == 503) resp.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        resp.write(true, ByteBuffer.wrap(bytes), callback); // the callback fails when the client is gone
    }
}
