package io.courier;

import java.util.Objects;

/**
 * Where a message goes, written like a poll address:
 * <ul>
 *   <li>{@code any@group}: exactly one member of the group takes it (competing consumers, load-balanced);</li>
 *   <li>{@code uni@group/member}: only that member takes it; it waits durably while the member is offline;</li>
 *   <li>{@code any@group/member}: that member while it has a live subscription, otherwise any member of the group
 *       (sticky with fallback; transports that cannot do it natively declare so in their capabilities).</li>
 * </ul>
 * Group and member names are 1 to 100 characters of {@code [A-Za-z0-9._-]}, so that every broker can carry them in
 * its own naming (Kafka topics, AMQP queues, NATS subjects, SQS queue names).
 */
public record Destination(Kind kind, String group, String member) {

    /** Who may take a message. */
    public enum Kind {
        /** Any member of the group; with a member: that member preferred while it is subscribed. */
        ANY,
        /** That member only. */
        UNI
    }

    public Destination {
        Objects.requireNonNull(kind, "kind");
        checkName("group", group);
        if (member != null) checkName("member", member);
        if (kind == Kind.UNI && member == null) {
            throw new IllegalArgumentException("uni@" + group + " needs a member: write uni@" + group + "/<member>");
        }
    }

    /** {@code any@group}. */
    public static Destination any(String group) { return new Destination(Kind.ANY, group, null); }

    /** {@code uni@group/member}. */
    public static Destination uni(String group, String member) { return new Destination(Kind.UNI, group, member); }

    /** {@code any@group/member}: sticky with fallback. */
    public static Destination sticky(String group, String member) { return new Destination(Kind.ANY, group, member); }

    /**
     * Parses {@code any@group}, {@code uni@group/member} or {@code any@group/member}; a bare {@code group} means
     * {@code any@group}.
     *
     * @throws IllegalArgumentException naming what is wrong and the expected form
     */
    public static Destination parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty destination: write any@group, uni@group/member or any@group/member");
        String rest = text;
        Kind kind = Kind.ANY;
        int at = text.indexOf('@');
        if (at >= 0) {
            String prefix = text.substring(0, at);
            kind = switch (prefix) {
                case "any" -> Kind.ANY;
                case "uni" -> Kind.UNI;
                default -> throw new IllegalArgumentException("destination '" + text + "' starts with '" + prefix
                        + "@': write any@group, uni@group/member or any@group/member");
            };
            rest = text.substring(at + 1);
        }
        int slash = rest.indexOf('/');
        String group = slash < 0 ? rest : rest.substring(0, slash);
        String member = slash < 0 ? null : rest.substring(slash + 1);
        return new Destination(kind, group, member);
    }

    /** True when only the named member may take the message. */
    public boolean isDirect() { return kind == Kind.UNI; }

    /** True for {@code any@group/member}. */
    public boolean isSticky() { return kind == Kind.ANY && member != null; }

    /** The name of this group's default dead-letter group: {@code group.dlq}. */
    public String deadLetterGroup() { return group + ".dlq"; }

    static void checkName(String what, String name) {
        if (!isName(name, 100)) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name
                    + "': use 1 to 100 characters of letters, digits, '.', '_' or '-'");
        }
    }

    /**
     * True for 1 to {@code max} characters of {@code [A-Za-z0-9._-]}: the rule of group, member and header names,
     * checked on every message sent and received, so a loop rather than a regular expression.
     */
    static boolean isName(String s, int max) {
        if (s == null || s.isEmpty() || s.length() > max) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
        }
        return true;
    }

    @Override
    public String toString() {
        return (kind == Kind.UNI ? "uni@" : "any@") + group + (member == null ? "" : "/" + member);
    }
}
