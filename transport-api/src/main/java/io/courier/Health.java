package io.courier;

import java.util.List;

/**
 * A snapshot of a {@link Courier}'s health ({@link Courier#health()}): whether its transport is reachable and how each
 * running subscription receives. Immutable; cheap to take (no broker round trip beyond what
 * {@link io.courier.spi.Transport#reachable()} allows); safe to serve on a health endpoint: it holds error messages
 * only, never credentials, payloads or headers.
 *
 * @param transport     the transport's scheme, e.g. {@code rabbitmq}
 * @param reachable     whether the transport reaches its broker, as the transport or (when it cannot tell) the
 *                      subscriptions' receives show it
 * @param subscriptions every open subscription, in no particular order
 */
public record Health(String transport, Reachability reachable, List<SubscriptionHealth> subscriptions) {

    /** Whether the broker is reachable. */
    public enum Reachability {
        /** The transport's connection is up, or the last receive of a subscription succeeded. */
        REACHABLE,
        /** The transport's connection is down, or every subscription's receives are failing. */
        UNREACHABLE,
        /** The transport cannot tell cheaply and no subscription has received yet. */
        UNKNOWN
    }

    /** The overall verdict, for a load balancer or an orchestrator's probe. */
    public enum Status {
        /** Reachable (or not known otherwise) and every subscription running. */
        UP,
        /** A subscription is recovering from failed receives. */
        DEGRADED,
        /** The broker is unreachable or a subscription has been failing for long. */
        DOWN
    }

    public Health {
        subscriptions = List.copyOf(subscriptions);
    }

    /** {@link Status#DOWN} if unreachable or a subscription fails, {@link Status#DEGRADED} if one recovers, else up. */
    public Status status() {
        if (reachable == Reachability.UNREACHABLE) return Status.DOWN;
        Status s = Status.UP;
        for (SubscriptionHealth h : subscriptions) {
            if (h.state() == SubscriptionHealth.State.FAILING) return Status.DOWN;
            if (h.state() == SubscriptionHealth.State.RECOVERING) s = Status.DEGRADED;
        }
        return s;
    }

    /**
     * The JSON form that {@code GET /v1/health} of the hub answers too:
     * <pre>{@code
     * {"status":"degraded","transport":"http","reachable":"unreachable","subscriptions":[
     *   {"group":"orders","member":"w1","state":"recovering","lastError":"TransportUnavailableException: hub unreachable",
     *    "sinceLastReceiveMs":2113}]}
     * }</pre>
     * {@code member}, {@code lastError} and {@code sinceLastReceiveMs} are {@code null} when absent.
     */
    public String toJson() {
        StringBuilder b = new StringBuilder(64 + 128 * subscriptions.size());
        b.append("{\"status\":").append(quote(lower(status()))).append(",\"transport\":").append(quote(transport))
                .append(",\"reachable\":").append(quote(lower(reachable))).append(",\"subscriptions\":[");
        for (int i = 0; i < subscriptions.size(); i++) {
            SubscriptionHealth s = subscriptions.get(i);
            if (i > 0) b.append(',');
            b.append("{\"group\":").append(quote(s.group())).append(",\"member\":").append(quote(s.member()))
                    .append(",\"state\":").append(quote(lower(s.state()))).append(",\"lastError\":").append(quote(s.lastError()))
                    .append(",\"sinceLastReceiveMs\":").append(s.sinceLastReceive() == null ? "null" : Long.toString(s.sinceLastReceive().toMillis()))
                    .append('}');
        }
        return b.append("]}").toString();
    }

    private static String lower(Enum<?> e) { return e.name().toLowerCase(java.util.Locale.ROOT); }

    private static String quote(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
