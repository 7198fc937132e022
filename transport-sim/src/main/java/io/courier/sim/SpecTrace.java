package io.courier.sim;

import io.courier.Message;
import io.courier.mem.MemEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Simulation} run as a trace of the actions of the TLA+ specification of the delivery contract
 * ({@code spec/src/main/tla/Courier.tla}): {@code send}, {@code lease}, {@code handle}, {@code ack}, {@code nack},
 * {@code dead-letter} and {@code release}, each with the lease token the engine used and, for settlements, whether
 * the engine accepted it. Lease expiry is not an event (the engine expires leases lazily, inside a poll): a checker
 * infers it where the trace needs it and the lease's end has passed. The spec module's {@code SpecTraceChecker}
 * replays these lines against the specification's guards and invariants.
 *
 * <p>One line per action, time in virtual milliseconds since the start:
 * <pre>
 * 0 send msg-1 key=k dest=any@sim at=0
 * 0 lease m1#0 msg-1 token=1 attempt=1 until=30000
 * 12 handle m1#0 msg-1 token=1 attempt=1
 * 12 ack m1#0 msg-1 token=1 accepted
 * 40 nack m2#1 msg-2 token=4 attempt=1 delay=100 stale
 * 90 dead-letter m1#0 msg-3 token=7 attempt=3 accepted limit intact
 * 95 release m2#1
 * </pre>
 */
public final class SpecTrace {
    private final List<String> lines = new ArrayList<>();

    /** A message accepted by the engine. */
    public synchronized void send(long at, Message m, long availableAt) {
        lines.add(at + " send " + m.id() + " key=" + (m.orderingKey() == null ? "-" : m.orderingKey().replace(' ', '_'))
                + " dest=" + m.destination() + " at=" + availableAt);
    }

    /** A lease the engine made ({@code MemEngine.poll}), ending at {@code until}. */
    public synchronized void lease(long at, MemEngine.Delivered d, long until) {
        lines.add(at + " lease " + d.owner() + " " + d.message().id() + " token=" + d.token() + " attempt=" + d.attempt() + " until=" + until);
    }

    /** The handler runs a delivery. */
    public synchronized void handle(long at, MemEngine.Delivered d) {
        lines.add(at + " handle " + d.owner() + " " + d.message().id() + " token=" + d.token() + " attempt=" + d.attempt());
    }

    /** An ack that reached the engine, and whether the engine accepted it. */
    public synchronized void ack(long at, MemEngine.Delivered d, boolean accepted) {
        lines.add(at + " ack " + d.owner() + " " + d.message().id() + " token=" + d.token() + (accepted ? " accepted" : " stale"));
    }

    /** A nack with its delay, and whether the engine accepted it. */
    public synchronized void nack(long at, MemEngine.Delivered d, long delayMillis, boolean accepted) {
        lines.add(at + " nack " + d.owner() + " " + d.message().id() + " token=" + d.token() + " attempt=" + d.attempt()
                + " delay=" + delayMillis + (accepted ? " accepted" : " stale"));
    }

    /**
     * A dead letter: the copy sent, then the delivery acked ({@code accepted} is that ack's result). {@code intact}
     * says whether the copy has the original payload and every original header unchanged (C7).
     */
    public synchronized void deadLetter(long at, MemEngine.Delivered d, Message copy, String reason, boolean accepted) {
        boolean limit = reason != null && (reason.startsWith("failed ") || reason.startsWith("delivered "));
        lines.add(at + " dead-letter " + d.owner() + " " + d.message().id() + " token=" + d.token() + " attempt=" + d.attempt()
                + (accepted ? " accepted" : " stale") + (limit ? " limit" : " handler")
                + " payload=" + digest(d.message().payload()) + "/" + digest(copy.payload())
                + " headers=" + digest(headers(d.message().headers())) + "/" + digest(headers(original(copy.headers(), d.message().headers()))));
    }

    /** Every lease of this owner released at once (crash, disconnect: {@code MemEngine.unregister}). */
    public synchronized void release(long at, String owner) {
        lines.add(at + " release " + owner);
    }

    private static Map<String, String> original(Map<String, String> copy, Map<String, String> of) {
        Map<String, String> kept = new TreeMap<>();
        for (String name : of.keySet()) if (copy.containsKey(name)) kept.put(name, copy.get(name));
        if (kept.size() != of.size()) kept.put("(missing)", "");
        return kept;
    }

    private static byte[] headers(Map<String, String> h) {
        return new TreeMap<>(h).toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String digest(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The lines so far. */
    public synchronized List<String> lines() { return List.copyOf(lines); }

    /** The trace as text, one action per line. */
    public synchronized String text() { return String.join("\n", lines) + (lines.isEmpty() ? "" : "\n"); }

    /** Writes the trace to {@code file} (parent folders created). */
    public Path write(Path file) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, text(), StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the spec trace to " + file, e);
        }
    }
}
