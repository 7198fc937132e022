package io.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Every queue of a group reads back into exactly that group (C17: look-alikes stay apart); hashed names are opaque. */
class QueueNamesTest {
    private final QueueNames names = new QueueNames("courier-");

    @Test
    void everyQueueOfAGroupReadsBackIntoItsGroup() {
        for (String g : List.of("orders", "p.q", "p_q", "p-q", "a_ob", "g_m_b", "x.dlq", "_", ".", "-")) {
            for (String q : List.of(names.group(g), names.orderedGroup(g), names.member(g, "w.1"), names.orderedMember(g, "w_1"))) {
                assertEquals(g, names.groupOf(q), q);
            }
        }
    }

    @Test
    void aNameCutByTheHashIsOpaqueAndQueuesNotCouriersAreNone() {
        String q = names.group("g".repeat(100));
        assertNull(names.groupOf(q));
        assertTrue(names.isShortened(q), q);
        assertTrue(names.isShortened(names.orderedGroup("g".repeat(100))));
        assertTrue(q.startsWith(names.listPrefix("g".repeat(100))) && names.orderedGroup("g".repeat(100)).startsWith(names.listPrefix("g".repeat(100))),
                "ListQueues by listPrefix finds a long group's shortened queues");
        for (String other : List.of("orders", "courier-", "courier-a_b", "courier-a.fifo", "other-g")) assertNull(names.groupOf(other), other);
    }
}
