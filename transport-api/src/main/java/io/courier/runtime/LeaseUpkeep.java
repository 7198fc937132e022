package io.courier.runtime;

import io.courier.spi.Received;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Lease extension (C16), as a decision per tick: every unsettled delivery gets its lease extended, except a delivery
 * whose handler has run longer than {@code maxHandlingNanos}, which is overdue (failed by the retry path and its
 * handler interrupted). Pure: the caller passes the time and acts on the result off the keeper's thread, so a slow
 * broker call of one subscription never delays another's extensions.
 */
final class LeaseUpkeep {
    private LeaseUpkeep() {}

    /** What one tick decided. */
    record Tick(List<RuntimeDelivery> overdue, List<Received> extend) {}

    static Tick tick(Collection<RuntimeDelivery> unsettled, long nowNanos, long maxHandlingNanos) {
        List<RuntimeDelivery> overdue = new ArrayList<>();
        List<Received> extend = new ArrayList<>();
        for (RuntimeDelivery d : unsettled) {
            if (d.isSettled()) continue;
            long started = d.startedNanos;
            if (started != 0 && nowNanos - started > maxHandlingNanos && d.thread != null) overdue.add(d);
            else extend.add(d.received);
        }
        return new Tick(overdue, extend);
    }
}
