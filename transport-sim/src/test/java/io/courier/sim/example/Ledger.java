package io.courier.sim.example;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The example's database: account balances, and the ids of the charges already applied (for the fixed worker). */
public final class Ledger {
    private final Map<String, Long> balances = new TreeMap<>();
    private final Set<String> applied = new HashSet<>();

    /** Adds {@code cents} to an account. */
    public void charge(String account, long cents) { balances.merge(account, cents, Long::sum); }

    /**
     * Charges once per charge id, atomically with recording the id (in a real database: one transaction with a
     * unique key on the id). Returns false when that charge was already applied.
     */
    public boolean chargeOnce(String chargeId, String account, long cents) {
        if (!applied.add(chargeId)) return false;
        charge(account, cents);
        return true;
    }

    /** The balance of an account, 0 when never charged. */
    public long balance(String account) { return balances.getOrDefault(account, 0L); }

    /** All balances by account. */
    public Map<String, Long> balances() { return Map.copyOf(balances); }
}
