package io.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Default message ids: UUID-shaped, version 8, and never repeated across threads of a process. */
class MessageIdsTest {
    @Test
    void idsAreUuidShapedAndUniqueAcrossThreads() throws Exception {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = Thread.ofPlatform().start(() -> { for (int i = 0; i < 250_000; i++) ids.add(Message.to("any@g").build().id()); });
        }
        for (Thread t : ts) t.join();
        assertEquals(1_000_000, ids.size(), "an id repeated");
        UUID u = UUID.fromString(ids.iterator().next());
        assertEquals(8, u.version());
        assertEquals(2, u.variant());
        assertTrue(ids.stream().allMatch(id -> id.length() == 36));
    }
}
