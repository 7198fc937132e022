package io.courier.http.hub;

import java.io.IOException;
import java.util.List;

/** The journal found damage it cannot replay at start and was not told to salvage: the hub does not start. */
final class JournalCorruptException extends IOException {
    final List<JournalDamage> damage;

    JournalCorruptException(String message, List<JournalDamage> damage) {
        super(message);
        this.damage = List.copyOf(damage);
    }
}
