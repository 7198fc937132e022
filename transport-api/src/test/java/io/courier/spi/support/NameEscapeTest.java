package io.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The escape is reversible and keeps look-alike names apart (C17); what it cannot have made reads back as nothing. */
class NameEscapeTest {
    private final NameEscape e = new NameEscape("_2e", "_5f");

    @Test
    void everyNameReadsBackAndLookAlikesStayApart() {
        Set<String> escaped = new HashSet<>();
        for (String n : List.of("orders", "p.q", "p_q", "p-q", "a_2eb", "x.dlq", "_", ".", "-", "__..")) {
            String x = e.escape(n);
            assertEquals(-1, x.indexOf('.'), x);
            assertEquals(n, e.unescape(x), x);
            assertEquals(true, escaped.add(x), "shared: " + x);
        }
    }

    @Test
    void namesItCannotHaveMadeAreNone() {
        for (String x : List.of("", "a_b", "a_2", "a.b", "a/b", "é")) assertNull(e.unescape(x), x);
    }
}
