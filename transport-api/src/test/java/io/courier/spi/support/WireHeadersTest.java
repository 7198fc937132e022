package io.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WireHeadersTest {
    @Test
    void everyNameIsACourierHeaderNameAndDeclaredOnce() throws Exception {
        Set<String> seen = new HashSet<>();
        for (Field f : WireHeaders.class.getFields()) {
            if (f.getType() != String.class || !Modifier.isStatic(f.getModifiers()) || f.getName().equals("PREFIX")) continue;
            String name = (String) f.get(null);
            assertTrue(name.startsWith(Message.COURIER_PREFIX), name);
            Message.checkHeaderName(name);
            assertTrue(seen.add(name), "declared twice: " + name);
        }
        assertTrue(seen.contains("courier-original-key"));
        assertTrue(seen.contains("courier-original-not-before"));
    }

    @Test
    void deadLetterHeadersAreTheMessageConstantsAndStayOnTheMessage() {
        assertEquals(Message.DEAD_LETTER_REASON, WireHeaders.DEAD_LETTER_REASON);
        assertEquals(Message.ATTEMPTS, WireHeaders.ATTEMPTS);
        assertEquals(Message.ORIGINAL_DESTINATION, WireHeaders.ORIGINAL_DESTINATION);
        assertFalse(WireHeaders.isTransportHeader(WireHeaders.ORIGINAL_KEY));
        assertFalse(WireHeaders.isTransportHeader(WireHeaders.ATTEMPTS));
        assertTrue(WireHeaders.isTransportHeader(WireHeaders.KEY));
    }
}
