package io.courier.cli;

import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** Builds one JSON object on one line, field by field, for the {@code --json} output of the operator commands. */
final class JsonLine {
    private final StringBuilder b = new StringBuilder("{");

    /** A string field; null becomes JSON {@code null}. */
    JsonLine field(String name, String value) { return raw(name, value == null ? "null" : Operators.quote(value)); }

    /** A number field. */
    JsonLine field(String name, long value) { return raw(name, Long.toString(value)); }

    /** A count field; unknown becomes JSON {@code null}. */
    JsonLine field(String name, OptionalLong value) { return raw(name, Operators.json(value)); }

    /** A rate field rounded to one decimal; unknown becomes JSON {@code null}. */
    JsonLine field(String name, OptionalDouble value) {
        return raw(name, value.isPresent() ? Double.toString(Math.round(value.getAsDouble() * 10) / 10.0) : "null");
    }

    /** A boolean field. */
    JsonLine field(String name, boolean value) { return raw(name, Boolean.toString(value)); }

    /** An object field of strings, in the map's order. */
    JsonLine field(String name, Map<String, String> values) {
        StringBuilder o = new StringBuilder("{");
        values.forEach((k, v) -> o.append(o.length() > 1 ? "," : "").append(Operators.quote(k)).append(':').append(Operators.quote(v)));
        return raw(name, o.append('}').toString());
    }

    private JsonLine raw(String name, String json) {
        if (b.length() > 1) b.append(',');
        b.append(Operators.quote(name)).append(':').append(json);
        return this;
    }

    @Override
    public String toString() { return b + "}"; }
}
