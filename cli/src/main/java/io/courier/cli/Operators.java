package io.courier.cli;

import io.courier.Courier;
import io.courier.CourierException;
import io.courier.spi.Admin;
import java.util.OptionalLong;

/** What the operator commands share: opening a transport's {@link Admin}, and printing a possibly unknown count. */
final class Operators {
    private Operators() {}

    /**
     * The admin of the transport that {@code courier} opened.
     *
     * @throws CourierException (exit 3) in one line when the transport has none
     */
    static Admin admin(Courier courier) {
        return courier.transport().admin().orElseThrow(() -> new CourierException(
                courier.transportName() + ":// does not offer operator tooling (stats, groups delete) yet"));
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
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
