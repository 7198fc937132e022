package io.courier.cli;

import io.courier.Courier;
import io.courier.Message;
import java.util.HashSet;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * {@code courier dlq replay URL GROUP}: sends each selected dead letter back to its original destination
 * ({@link Replay}: id {@code <original id>~replay-<n>}), then removes it from the dead-letter group. Once replayed, a
 * dead letter is gone, so a second replay finds nothing to send again; a second copy of an id already replayed in the
 * same run is removed without being sent.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Send each selected dead letter back to its original destination (its headers, key and payload; a fresh attempt count; "
                + "headers " + Replay.REPLAYED_FROM + " naming the dead-letter group, " + Replay.ORIGINAL_ID + " and " + Replay.REPLAYS
                + "), then remove it from the dead-letter group.",
                "The replay's id is <original id>~replay-<n>: new, so that a transport deduplicating by id (NATS, SQS FIFO) does not drop it, "
                        + "and deterministic, so that a replay repeated after an interruption (sent, not yet removed) carries the same id again."},
        footer = {"%nExample:%n  courier dlq replay postgres://postgres@127.0.0.1:5432/test orders --reason-contains Timeout --dry-run"})
final class DlqReplayCommand extends DlqChange {
    private final Set<String> replayed = new HashSet<>();

    @Override
    Outcome change(Courier courier, String deadLetters, HeldDeadLetters.Letter letter, boolean dryRun) {
        if (replayed.contains(letter.id())) {
            if (!dryRun) letter.remove();
            return Outcome.done(dryRun ? "would-remove-duplicate" : "removed-duplicate");
        }
        Message replay;
        try {
            replay = Replay.of(letter.message(), deadLetters);
        } catch (IllegalArgumentException e) {
            err().println("courier: " + e.getMessage());
            return new Outcome("cannot-replay", null, null, true);
        }
        replayed.add(letter.id());
        if (dryRun) return new Outcome("would-replay", replay.destination().toString(), replay.id(), false);
        courier.send(replay).join(); // a failure ends the command: this one and the rest stay dead letters
        letter.remove();
        return new Outcome("replayed", replay.destination().toString(), replay.id(), false);
    }
}
