package io.courier.cli;

import io.courier.Courier;
import io.courier.CourierException;
import io.courier.spi.Admin;
import io.courier.spi.Parameter;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * What the operator commands share: opening a transport's {@link Admin}, printing a possibly unknown count, JSON
 * strings and reading durations.
 */
final class Operators {
    private Operators() {}

    /**
     * The admin of the transport that {@code courier} opened.
     *
     * @throws CourierException (exit 3) in one line when the transport has none
     */
    static Admin admin(Courier courier) {
        return courier.transport().admin().orElseThrow(() -> new CourierException(
                courier.transportName() + ":// does not offer operator tooling (stats, groups list, groups delete) yet"));
    }

    /** A count for a table: the number, or {@code unknown}. */
    static String text(OptionalLong n) { return n.isPresent() ? Long.toString(n.getAsLong()) : "unknown"; }

    /** A count for JSON: the number, or {@code null}. */
    static String json(OptionalLong n) { return n.isPresent() ? Long.toString(n.getAsLong()) : "null"; }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c == '\n') b.append("\\n");
            else if (c == '\t') b.append("\\t");
            else if (c == '\r') b.append("\\r");
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /**
     * A duration such as {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h} or {@code PT10S}.
     *
     * @throws IllegalArgumentException (exit 2) naming the option and the accepted forms
     */
    static Duration duration(String option, String raw) {
        try {
            Duration d = Parameter.parseDuration(raw);
            if (!d.isNegative()) return d;
        } catch (RuntimeException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid " + option + " '" + raw + "': write a duration such as 500ms, 10s, 2m, 1h or PT10S");
    }
}
