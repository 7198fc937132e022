package io.courier.runtime;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A Micrometer registry written in the Prometheus text exposition format (version 0.0.4), named as Micrometer's
 * Prometheus registry names them: dots become underscores, counters end in {@code _total}, timers are summaries in
 * seconds ({@code _seconds_count}, {@code _seconds_sum}) with a {@code _seconds_max} gauge. Written here instead of
 * depending on {@code micrometer-registry-prometheus} and its client library: the hub needs only this text.
 * Touches Micrometer's types, so it is loaded only when metrics are on.
 */
final class PrometheusText {
    private PrometheusText() { }

    /** The text of every meter of {@code registry} ({@code io.micrometer.core.instrument.MeterRegistry}). */
    static String of(Object registry) {
        List<Meter> meters = ((MeterRegistry) registry).getMeters().stream()
                .sorted(Comparator.comparing((Meter m) -> m.getId().getName())).toList();
        StringBuilder out = new StringBuilder(256 * Math.max(1, meters.size()));
        String typed = null;
        for (Meter m : meters) {
            String base = name(m.getId().getName());
            switch (m.getId().getType()) {
                case COUNTER -> {
                    typed = type(out, typed, base + "_total", "counter");
                    double v = m.measure().iterator().next().getValue();
                    sample(out, base + "_total", m, v);
                }
                case TIMER -> {
                    Timer t = (Timer) m;
                    typed = type(out, typed, base + "_seconds", "summary");
                    sample(out, base + "_seconds_count", m, t.count());
                    sample(out, base + "_seconds_sum", m, t.totalTime(TimeUnit.SECONDS));
                    type(out, null, base + "_seconds_max", "gauge");
                    sample(out, base + "_seconds_max", m, t.max(TimeUnit.SECONDS));
                }
                case GAUGE -> {
                    typed = type(out, typed, base, "gauge");
                    sample(out, base, m, m.measure().iterator().next().getValue());
                }
                default -> {
                    typed = type(out, typed, base, "untyped");
                    m.measure().forEach(x -> sample(out, base + "_" + x.getStatistic().getTagValueRepresentation(), m, x.getValue()));
                }
            }
        }
        return out.toString();
    }

    /** Writes the {@code # TYPE} line once per metric family; returns the family now open. */
    private static String type(StringBuilder out, String open, String family, String type) {
        if (!family.equals(open)) out.append("# TYPE ").append(family).append(' ').append(type).append('\n');
        return family;
    }

    private static void sample(StringBuilder out, String name, Meter m, double value) {
        out.append(name);
        List<Tag> tags = m.getId().getTags();
        if (!tags.isEmpty()) {
            out.append('{');
            for (int i = 0; i < tags.size(); i++) {
                if (i > 0) out.append(',');
                out.append(name(tags.get(i).getKey())).append("=\"").append(escape(tags.get(i).getValue())).append('"');
            }
            out.append('}');
        }
        out.append(' ').append(number(value)).append('\n');
    }

    /** A Prometheus metric or label name: every character outside {@code [a-zA-Z0-9_]} becomes {@code _}. */
    static String name(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9' && i > 0) || c == '_' ? c : '_');
        }
        return b.toString();
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%s", v);
    }
}
