package io.courier.cli;

import io.courier.Courier;
import io.courier.Message;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code courier dlq list URL GROUP}: one line per dead letter (id, attempts, original destination, reason). */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "One line per dead letter of GROUP: id, attempts made, original destination, reason. Nothing is removed.",
        footer = {"%nExample:%n  courier dlq list amqp://guest:guest@127.0.0.1:5672/ orders --reason-contains Timeout --json"})
final class DlqListCommand extends DlqAction {
    /** Longest reason shown in the table (JSON has it whole). */
    static final int REASON_WIDTH = 80;

    @Override
    int act(Courier courier, String deadLetters, List<HeldDeadLetters.Letter> selected) {
        if (!target.json) out().printf("%-36s %8s  %-30s %s%n", "id", "attempts", "original-destination", "reason");
        for (HeldDeadLetters.Letter l : selected) {
            Message m = l.message();
            String attempts = m.headers().getOrDefault(Message.ATTEMPTS, "?");
            String from = m.headers().getOrDefault(Message.ORIGINAL_DESTINATION, "?");
            String reason = l.reason() == null ? "(no reason: not dead-lettered by the runtime)" : l.reason();
            if (target.json) {
                out().println(new JsonLine().field("id", m.id()).field("attempts", attempts).field("originalDestination", from)
                        .field("key", m.headers().get(Message.ORIGINAL_ORDERING_KEY)).field("reason", l.reason())
                        .field("bytes", m.payload().length));
            } else {
                out().printf("%-36s %8s  %-30s %s%n", m.id(), attempts, from,
                        reason.length() > REASON_WIDTH ? reason.substring(0, REASON_WIDTH - 1) + "…" : reason);
            }
        }
        return 0;
    }
}
