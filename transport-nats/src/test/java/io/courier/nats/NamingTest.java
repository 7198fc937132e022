package io.courier.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The stream name of a group reads back into exactly that group (C17: look-alikes stay apart); other streams are not groups. */
class NamingTest {

    @Test
    void everyStreamNameReadsBackIntoItsGroup() {
        for (String g : List.of("orders", "p.q", "p_q", "p-q", "a_2Eb", "x.dlq", "_", ".", "-")) {
            assertEquals(g, Naming.groupOfStream(Naming.stream(g)), Naming.stream(g));
        }
    }

    @Test
    void streamsNotCouriersAreNoGroup() {
        for (String s : List.of("ORDERS", "COURIER_", "COURIER_a_b", "COURIER_a_2", "COURIER_a.b", "KV_courier")) assertNull(Naming.groupOfStream(s), s);
    }
}
