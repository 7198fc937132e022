package io.courier.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The ordered list of external events of a simulation run: sends, deliveries, acks, nacks, redeliveries,
 * dead-letters and injected faults, one line each. It can be printed, written to a file and hashed: the same seed
 * and the same program give the same lines, hence the same SHA-256. Thread-safe (sim:// records from many threads).
 */
public final class Trace {

    /** What happened. */
    public enum Kind {
        SEND, DELIVER, REDELIVER, ACK, NACK, DEAD_LETTER, FAULT;

        /** The name used in trace lines, e.g. {@code dead-letter}. */
        public String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
    }

    /**
     * One event.
     *
     * @param at        milliseconds since the start of the run (virtual time in a {@link Simulation})
     * @param kind      what happened
     * @param member    the member concerned, or {@code -}
     * @param messageId the message concerned, or {@code -}
     * @param attempt   the delivery attempt, 0 when not applicable
     * @param detail    free text: the fault's name, the nack delay, the dead-letter reason …
     */
    public record Event(long at, Kind kind, String member, String messageId, int attempt, String detail) {
        /** The event as one trace line. */
        public String line() {
            StringBuilder b = new StringBuilder(64).append(at).append(' ').append(kind.label()).append(' ')
                    .append(member == null ? "-" : member).append(' ').append(messageId == null ? "-" : messageId);
            if (attempt > 0) b.append(" attempt=").append(attempt);
            if (detail != null && !detail.isEmpty()) b.append(' ').append(detail);
            return b.toString();
        }
    }

    private final List<Event> events = new ArrayList<>();
    private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    private final Map<String, Integer> faults = new java.util.TreeMap<>();

    /** Appends an event. */
    public synchronized void add(long at, Kind kind, String member, String messageId, int attempt, String detail) {
        events.add(new Event(at, kind, member, messageId, attempt, detail));
        counts.merge(kind, 1, Integer::sum);
        if (kind == Kind.FAULT) faults.merge(detail.split(" ", 2)[0], 1, Integer::sum);
    }

    /** A copy of the events so far. */
    public synchronized List<Event> events() { return List.copyOf(events); }

    /** Number of events. */
    public synchronized int size() { return events.size(); }

    /** Number of events of a kind. */
    public synchronized int count(Kind kind) { return counts.getOrDefault(kind, 0); }

    /** Number of injected faults per fault name, sorted by name. */
    public synchronized Map<String, Integer> faultCounts() { return Map.copyOf(faults); }

    /** The trace as text, one event per line, each ending with a newline. */
    public synchronized String text() {
        StringBuilder b = new StringBuilder(events.size() * 48);
        for (Event e : events) b.append(e.line()).append('\n');
        return b.toString();
    }

    /** SHA-256 of {@link #text()} in UTF-8, as 64 lower-case hex digits. */
    public String sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    /** Prints the trace. */
    public void print(PrintStream out) { out.print(text()); }

    /** Writes the trace to {@code file} (parent folders created) and returns it. */
    public Path write(Path file) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, text(), StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the simulation trace to " + file, e);
        }
    }

    @Override
    public String toString() { return "Trace[" + size() + " events]"; }
}
