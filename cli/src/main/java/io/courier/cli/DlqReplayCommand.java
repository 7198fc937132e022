package io.courier.cli;

import io.courier.Courier;
import io.courier.Message;
import java.util.HashSet;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * {@code courier dlq replay URL GROUP}: sends each selected dead letter back to its original destination
 * ({@link Replay}), then removes it from the dead-letter group. Once replayed, a dead letter is gone, so a second
 * replay finds nothing to send again; a second copy of an id already replayed in the same run is removed without
 * being sent.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Send each selected dead letter back to its original destination (same id, headers, key and payload; a fresh attempt count; "
                + "header " + Replay.REPLAYED_FROM + " naming the dead-letter group), then remove it from the dead-letter group.",
                "A dead letter is removed only after its replay was accepted; a replay interrupted in between may send one again with the same id."},
        footer = {"%nExample:%n  courier dlq replay postgres://postgres@127.0.0.1:5432/test orders --reason-contains Timeout --dry-run"})
final class DlqReplayCommand extends DlqChange {
    private final Set<String> replayed = new HashSet<>();

    @Override
    Outcome change(Courier courier, String deadLetters, HeldDeadLetters.Letter letter, boolean dryRun) {
        if (replayed.contains(letter.id())) {
            if (!dryRun) letter.remove();
            return Outcome.done(dryRun ? "would-remove-duplicate" : "removed-duplicate", null);
        }
        Message replay;
        try {
            replay = Replay.of(letter.message(), deadLetters);
        } catch (IllegalArgumentException e) {
            err().println("courier: " + e.getMessage());
            return new Outcome("cannot-replay", null, true);
        }
        replayed.add(letter.id());
        if (dryRun) return Outcome.done("would-replay", replay.destination().toString());
        courier.send(replay).join(); // a failure ends the command: this one and the rest stay dead letters
        letter.remove();
        return Outcome.done("replayed", replay.destination().toString());
    }
}
