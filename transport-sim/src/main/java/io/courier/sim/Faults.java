package io.courier.sim;

import io.courier.InvalidUrlException;
import io.courier.spi.Parameter;
import io.courier.spi.TransportUrl;
import java.time.Duration;
import java.util.List;
import java.util.StringJoiner;

/**
 * The seed and the fault rates of a simulation, as written in a {@code sim://} URL query:
 * {@code seed=42&dup=0.05&reorder=0.1&delay=0-200ms&drop-ack=0.01&disconnect=0.001&crash=0.01}. Every rate is a
 * probability in 0..1, drawn from the seeded generator at each decision point (see {@code transport-sim/README.md}).
 *
 * @param seed       the seed of every decision the simulation makes
 * @param duplicate  per delivery: the same delivery is handed out a second time
 * @param reorder    per delivery: another arrived delivery is handed out first (never one of the same ordering key)
 * @param delayMin   shortest delivery delay (latency between lease and hand-out)
 * @param delayMax   longest delivery delay; each delivery draws uniformly from [delayMin, delayMax]
 * @param dropAck    per ack: the ack is lost, so the message is redelivered after the ack deadline
 * @param disconnect per step (simulation) or per receive (sim://): a member's connection drops, its leases are released
 * @param crash      per handled delivery: the consumer crashes after the handler ran and before the ack; its leases
 *                   are released and the message is redelivered
 */
public record Faults(long seed, double duplicate, double reorder, Duration delayMin, Duration delayMax, double dropAck,
                     double disconnect, double crash) {

    /** The URL query parameters of {@code sim://} (and of {@link #parse}), declared once with their validation. */
    public static final List<Parameter> PARAMETERS = List.of(
            Parameter.of("seed", Parameter.Kind.LONG, "0", "seed of every decision of the simulation: same seed, same trace"),
            probability("dup", "probability that a delivery is handed out twice"),
            probability("reorder", "probability that a later delivery overtakes an earlier one (never within an ordering key)"),
            new Parameter("delay", Parameter.Kind.STRING, "0ms", "delivery delay, a duration or a range such as 0-200ms",
                    Faults::isDelay),
            probability("drop-ack", "probability that an ack is lost, so that the message is redelivered"),
            probability("disconnect", "probability per step that a consumer's connection drops, releasing its leases"),
            probability("crash", "probability that a consumer crashes after handling and before acking"),
            Parameter.of("max-payload", Parameter.Kind.LONG, "4194304", "largest message in bytes, payload plus headers"),
            new Parameter("trace", Parameter.Kind.BOOLEAN, "false", "sim:// only: record the trace of the transport's events",
                    v -> true));

    public Faults {
        check("dup", duplicate);
        check("reorder", reorder);
        check("drop-ack", dropAck);
        check("disconnect", disconnect);
        check("crash", crash);
        if (delayMin.isNegative() || delayMax.compareTo(delayMin) < 0) {
            throw new InvalidUrlException("invalid delay range " + delayMin.toMillis() + "-" + delayMax.toMillis() + "ms: use min-max with 0 <= min <= max");
        }
    }

    /** No faults at all: the simulation behaves like {@code mem://}, still on a seeded schedule. */
    public static Faults none(long seed) { return new Faults(seed, 0, 0, Duration.ZERO, Duration.ZERO, 0, 0, 0); }

    /** A mix of every fault, rates chosen so that a few hundred messages see each of them. */
    public static Faults adverse(long seed) { return parse("dup=0.05&reorder=0.1&delay=0-200ms&drop-ack=0.01&disconnect=0.001&crash=0.01").withSeed(seed); }

    /**
     * Parses a query such as {@code dup=0.05&crash=0.01} (a leading {@code ?} or a whole {@code sim://} URL are
     * accepted). Unknown parameters and invalid values are refused with {@link InvalidUrlException} naming them.
     */
    public static Faults parse(String query) {
        String q = query == null ? "" : query.trim();
        String url = q.startsWith("sim://") ? q : "sim://" + (q.isEmpty() || q.startsWith("?") ? q : "?" + q);
        return of(TransportUrl.parse(url).validate(PARAMETERS));
    }

    /** Reads the faults from a validated {@code sim://} URL. */
    public static Faults of(TransportUrl url) {
        Duration[] delay = parseDelay(url.param("delay"));
        return new Faults(url.longParam("seed"), url.doubleParam("dup"), url.doubleParam("reorder"), delay[0], delay[1],
                url.doubleParam("drop-ack"), url.doubleParam("disconnect"), url.doubleParam("crash"));
    }

    /** The same fault rates with another seed. */
    public Faults withSeed(long newSeed) {
        return new Faults(newSeed, duplicate, reorder, delayMin, delayMax, dropAck, disconnect, crash);
    }

    /** True when no fault is enabled. */
    public boolean isNone() {
        return duplicate == 0 && reorder == 0 && delayMax.isZero() && dropAck == 0 && disconnect == 0 && crash == 0;
    }

    /** The query that {@link #parse} turns back into these faults, seed first. */
    public String toQuery() {
        StringJoiner j = new StringJoiner("&");
        j.add("seed=" + seed);
        if (duplicate > 0) j.add("dup=" + plain(duplicate));
        if (reorder > 0) j.add("reorder=" + plain(reorder));
        if (!delayMax.isZero()) j.add("delay=" + delayMin.toMillis() + "-" + delayMax.toMillis() + "ms");
        if (dropAck > 0) j.add("drop-ack=" + plain(dropAck));
        if (disconnect > 0) j.add("disconnect=" + plain(disconnect));
        if (crash > 0) j.add("crash=" + plain(crash));
        return j.toString();
    }

    @Override
    public String toString() { return toQuery(); }

    private static String plain(double d) { return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString(); }

    private static Parameter probability(String name, String description) {
        return new Parameter(name, Parameter.Kind.DOUBLE, "0", description + " (0..1)", v -> {
            double d = Double.parseDouble(v);
            return d >= 0 && d <= 1;
        });
    }

    private static void check(String name, double p) {
        if (!(p >= 0 && p <= 1)) throw new InvalidUrlException("invalid value " + p + " for '" + name + "': expected a probability from 0 to 1");
    }

    private static boolean isDelay(String raw) {
        Duration[] d = parseDelay(raw);
        return !d[0].isNegative() && d[1].compareTo(d[0]) >= 0;
    }

    /** {@code 200ms} (fixed) or {@code 0-200ms} (range; the unit of the upper bound applies to a bare lower one). */
    static Duration[] parseDelay(String raw) {
        String s = raw.trim();
        int dash = s.indexOf('-');
        if (dash < 0) {
            Duration d = Parameter.parseDuration(s);
            return new Duration[] {d, d};
        }
        String lo = s.substring(0, dash).trim();
        String hi = s.substring(dash + 1).trim();
        if (lo.chars().allMatch(Character::isDigit)) lo = lo + hi.replaceAll("^[0-9]+", "");
        return new Duration[] {Parameter.parseDuration(lo), Parameter.parseDuration(hi)};
    }
}
