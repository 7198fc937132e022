package io.courier.spi;

import io.courier.InvalidUrlException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * A declared URL query parameter of a transport: name, kind, default and documentation, validated once, in one
 * place, so that a bad value is rejected naming the parameter and the expected form (clause C14).
 */
public record Parameter(String name, Kind kind, String defaultValue, String description, Predicate<String> extraCheck) {

    /** The value type of a parameter. */
    public enum Kind { STRING, INT, LONG, BOOLEAN, DURATION, DOUBLE }

    public static Parameter of(String name, Kind kind, String defaultValue, String description) {
        return new Parameter(name, kind, defaultValue, description, v -> true);
    }

    /** Validates a raw value; throws {@link InvalidUrlException} naming the parameter and the expected form. */
    public void validate(String raw) {
        boolean ok;
        try {
            ok = switch (kind) {
                case STRING -> !raw.isEmpty();
                case INT -> { Integer.parseInt(raw); yield true; }
                case LONG -> { Long.parseLong(raw); yield true; }
                case BOOLEAN -> raw.equals("true") || raw.equals("false");
                case DURATION -> { parseDuration(raw); yield true; }
                case DOUBLE -> { Double.parseDouble(raw); yield true; }
            } && extraCheck.test(raw);
        } catch (RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw new InvalidUrlException("invalid value '" + raw + "' for parameter '" + name + "': expected "
                    + expected() + " (" + description + ")");
        }
    }

    private String expected() {
        return switch (kind) {
            case STRING -> "a non-empty string";
            case INT, LONG -> "a whole number";
            case BOOLEAN -> "true or false";
            case DURATION -> "a duration such as 250ms, 30s, 5m";
            case DOUBLE -> "a number";
        };
    }

    /** Parses {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, or an ISO-8601 duration ({@code PT30S}). */
    public static Duration parseDuration(String raw) {
        String s = raw.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("pt") || s.startsWith("p")) return Duration.parse(raw.toUpperCase(Locale.ROOT));
        if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        return switch (s.charAt(s.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException(raw);
        };
    }
}
