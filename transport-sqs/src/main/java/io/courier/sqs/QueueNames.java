package io.courier.sqs;

import io.courier.Destination;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Queue names: {@code <prefix><group>} for a group and {@code <prefix><group>_m_<member>} for a member; messages with
 * an ordering key go to the FIFO queue of the same name with {@code _k.fifo} appended. SQS allows letters, digits,
 * {@code -} and {@code _} up to 80 characters, Courier names also {@code .}: {@code _} is written {@code __} and
 * {@code .} {@code _o}, so no two destinations share a queue; a name over the limit keeps its start and ends with 16
 * hex digits of its SHA-256.
 */
final class QueueNames {
    private final String prefix;

    QueueNames(String prefix) { this.prefix = prefix; }

    String group(String group) { return fit(groupBase(group), 80); }

    String member(String group, String member) { return fit(memberBase(group, member), 80); }

    /** The FIFO queue of a group's keyed messages. */
    String orderedGroup(String group) { return ordered(groupBase(group)); }

    /** The FIFO queue of a member's keyed messages. */
    String orderedMember(String group, String member) { return ordered(memberBase(group, member)); }

    /**
     * The queue a message to {@code d} goes to: its FIFO queue when it has an ordering key ({@code key} not null);
     * {@code any@g/m} is not sticky here, it goes to the group.
     */
    String of(Destination d, String key) {
        String base = d.isDirect() ? memberBase(d.group(), d.member()) : groupBase(d.group());
        return key != null ? ordered(base) : fit(base, 80);
    }

    /** The name start that every queue of {@code group} shares (other groups' queues may share it too: see {@link #ofGroup}). */
    String groupPrefix(String group) { return groupBase(group); }

    /** The longest start that a name shortened with a hash keeps ({@link #ordered}: 75 less the hash's 17). */
    static final int KEPT_WHEN_SHORTENED = 58;

    /**
     * The {@code ListQueues} prefix that finds every queue of {@code group}: {@link #groupPrefix}, cut to what a
     * shortened name keeps, so that the queues of a long group (shortened with a hash) are found too.
     */
    String listPrefix(String group) {
        String p = groupBase(group);
        return p.length() <= KEPT_WHEN_SHORTENED ? p : p.substring(0, KEPT_WHEN_SHORTENED);
    }

    /**
     * Whether {@code queue} is one of {@code group}'s queues: the group's, its FIFO queue, or a member's (standard or
     * FIFO). After the escaped group name another group's name goes on with {@code __}, {@code _o} or a plain
     * character, never with {@code _m_} or {@code _k.fifo}, so a look-alike group never matches. Names shortened to
     * 80 characters with a hash match only as the group's own queue.
     */
    boolean ofGroup(String group, String queue) {
        String base = groupBase(group);
        return queue.equals(group(group)) || queue.equals(orderedGroup(group)) || queue.startsWith(base + "_m_");
    }

    /**
     * The group that {@code queue} belongs to (its own queue, its FIFO queue or a member's), the exact reverse of the
     * escaping; null when the queue is not one Courier names, or when its name was shortened with a hash
     * ({@link #isShortened}: the group cannot be read back).
     */
    String groupOf(String queue) {
        if (!queue.startsWith(prefix) || isShortened(queue)) return null;
        String rest = queue.substring(prefix.length());
        if (rest.endsWith("_k.fifo")) rest = rest.substring(0, rest.length() - "_k.fifo".length());
        else if (rest.endsWith(".fifo")) return null;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c == '_') {
                if (rest.startsWith("__", i)) b.append('_');
                else if (rest.startsWith("_o", i)) b.append('.');
                else if (rest.startsWith("_m_", i) && i + 3 < rest.length()) break; // a member's queue: the group ends here
                else return null;
                i++;
            } else if (c < 128 && Character.isLetterOrDigit(c) || c == '-') {
                b.append(c);
            } else {
                return null;
            }
        }
        return b.isEmpty() ? null : b.toString();
    }

    /** Whether {@code queue} is a name of Courier's shortened to SQS's 80 characters with a hash (see {@link #fit}). */
    boolean isShortened(String queue) {
        return queue.startsWith(prefix) && queue.length() == 80 && queue.matches(".*-[0-9a-f]{16}(\\.fifo)?");
    }

    static boolean isFifo(String queue) { return queue.endsWith(".fifo"); }

    private String groupBase(String group) { return prefix + escape(group); }

    private String memberBase(String group, String member) { return prefix + escape(group) + "_m_" + escape(member); }

    private static String ordered(String base) { return fit(base + "_k", 75) + ".fifo"; }

    private static String escape(String name) {
        return name.replace("_", "__").replace(".", "_o");
    }

    private static String fit(String name, int limit) {
        if (name.length() <= limit) return name;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return name.substring(0, limit - 17) + "-" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
