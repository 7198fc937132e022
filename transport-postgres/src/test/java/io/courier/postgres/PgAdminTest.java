package io.courier.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Message;
import io.courier.conformance.AdminScenario;
import io.courier.spi.Admin;
import io.courier.spi.GroupStats;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** stats counts a backlog of 1,000 exactly; deleteGroup leaves no row of the group or its dead letters (checked with plain JDBC). */
class PgAdminTest {

    @Test
    void groupsListsTheGroupsByTheirCourierNamesLookAlikesApartAndNoMoreOnceDeleted() throws Exception {
        PostgresFixture.requireBroker();
        AdminScenario.listing(PostgresFixture.URL);
    }

    @Test
    void statsCountsTheBacklogAndDeleteLeavesNoRow() throws Exception {
        String group = "wtops-pg-admin-" + System.nanoTime();
        try (Courier courier = Courier.connect(PostgresFixture.URL)) {
            Admin admin = courier.transport().admin().orElseThrow();
            admin.deleteGroup(group);
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 1000; i++) batch.add(Message.to("any@" + group).id("m" + i).build());
            batch.add(Message.to("uni@" + group + "/w1").id("direct-1").build());
            batch.add(Message.to("any@" + group + ".dlq").id("dead-1").build());
            courier.send(batch).join();

            GroupStats s = admin.stats(group);
            assertEquals(1001, s.backlog().getAsLong(), "1,000 to the group and 1 to a member");
            assertEquals(1, s.deadLetters().getAsLong());
            assertTrue(s.inFlight().isEmpty() && s.delayed().isEmpty() && s.consumers().isEmpty(), "never a fake 0: " + s);

            assertTrue(admin.deleteGroup(group));
            assertEquals(0, rows(group) + rows(group + ".dlq"), "no row left, counted with plain JDBC");
            assertFalse(admin.deleteGroup(group), "deleting an absent group succeeds and says so");
        }
    }

    private static long rows(String group) throws Exception {
        try (Connection c = DriverManager.getConnection(PostgresFixture.JDBC);
             var s = c.prepareStatement("SELECT count(*) FROM " + PostgresFixture.SCHEMA + ".courier_messages WHERE grp = ?")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }
}
