package io.courier.cli;

import io.courier.Courier;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code courier dlq show URL GROUP --id ID}: dead letters in full (headers, key, payload). */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Dead letters of GROUP in full: id, headers (reason, attempts, original destination …), payload as text or base64. Nothing is removed.",
        footer = {"%nExample:%n  courier dlq show postgres://postgres@127.0.0.1:5432/test orders --id 7f3c…"})
final class DlqShowCommand extends DlqAction {
    @Override
    int act(Courier courier, String deadLetters, List<HeldDeadLetters.Letter> selected) {
        for (HeldDeadLetters.Letter l : selected) {
            out().print(DeliveryFormat.render(l.message(), l.deliveryAttempt(), target.json));
        }
        return 0;
    }
}
