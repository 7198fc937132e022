package io.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written name check accepts exactly what the regular expressions it replaced accepted. */
class NameRuleTest {
    private static final Pattern DESTINATION = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

    @Test
    void sameVerdictAsTheRegularExpressions() {
        List<String> cases = new ArrayList<>(List.of("", "a", "A.b_c-9", "orders.dlq", "with space", "slash/x", "at@x", "é", "a\u0000",
                "x".repeat(100), "x".repeat(101), "x".repeat(128), "x".repeat(129), "[", "`", "{", "/", ":", "@", "^", "~"));
        Random r = new Random(42);
        String alphabet = "azAZ09._-/@ :é\u00ff[]`{}^~\u0100\t";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(140);
            for (int j = 0; j < len; j++) sb.append(r.nextInt(10) == 0 ? alphabet.charAt(r.nextInt(alphabet.length())) : (char) ('a' + r.nextInt(26)));
            cases.add(sb.toString());
        }
        for (char c = 0; c < 256; c++) cases.add(String.valueOf(c));
        for (String s : cases) {
            assertEquals(DESTINATION.matcher(s).matches(), Destination.isName(s, 100), () -> "destination name '" + s + "'");
            assertEquals(HEADER.matcher(s).matches(), Destination.isName(s, 128), () -> "header name '" + s + "'");
        }
        assertEquals(false, Destination.isName(null, 100));
        assertThrows(IllegalArgumentException.class, () -> Destination.any("bad name"));
        assertThrows(InvalidMessageException.class, () -> Message.checkHeaderName("bad:name"));
    }
}
