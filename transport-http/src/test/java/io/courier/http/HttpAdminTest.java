package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.Message;
import io.courier.conformance.AdminScenario;
import io.courier.spi.Admin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * stats and deleteGroup on a real hub (a child JVM): exact counts, and after the delete no group of it left in the
 * hub's own {@code GET /v1/stats}; the delete is journaled and forced, so a SIGKILL right after it brings nothing back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpAdminTest {
    private final HubFixture hub = new HubFixture("admin");

    @AfterAll
    void stopHub() { hub.close(); }

    @Test
    void groupsListsTheGroupsByTheirCourierNamesLookAlikesApartAndNoMoreOnceDeleted() throws Exception {
        AdminScenario.listing(hub.url());
    }

    @Test
    void statsCountsTheBacklogAndTheDeadLetterAndDeleteLeavesNoGroupInTheHub() throws Exception {
        new AdminScenario(hub.url(), this::groupsInHub, 0).run();
    }

    @Test
    void aDeleteSurvivesAHubCrash() throws Exception {
        String group = AdminScenario.freshGroup();
        String lookAlike = group.replace('.', '_');
        try (Courier courier = Courier.connect(hub.url())) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(Message.to("any@" + group).id("g" + i).build());
                batch.add(Message.to("uni@" + group + "/w1").id("m" + i).build());
                batch.add(Message.to("any@" + lookAlike).id("l" + i).build());
            }
            courier.send(batch).join();
            assertTrue(courier.transport().admin().orElseThrow().deleteGroup(group));
        }
        hub.restartBroker(); // SIGKILL, then start on the same journal
        assertEquals(Set.of(), groupsInHub(group), "the deleted group came back after a crash");
        try (Courier courier = Courier.connect(hub.url())) {
            Admin admin = courier.transport().admin().orElseThrow();
            assertEquals(OptionalLong.of(5), admin.stats(lookAlike).backlog(), lookAlike + " keeps its messages");
            admin.deleteGroup(lookAlike);
        }
    }

    /** The groups named {@code group} in the hub's {@code /v1/stats}. */
    private Set<String> groupsInHub(String group) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(hub.url() + "/v1/stats")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        Set<String> found = new TreeSet<>();
        for (JsonNode g : new ObjectMapper().readTree(r.body()).path("groups")) {
            if (g.path("group").asText().equals(group)) found.add(g.toString());
        }
        return found;
    }
}
