package io.courier.cli;

import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** send, tail and dlq on http:// against a durable hub started for this class (journal in a temporary directory). */
class SendTailDlqHttpTest extends SendTailDlqContract {
    private static CourierHub hub;

    @BeforeAll
    static void startHub() throws IOException {
        hub = CourierHub.start(HubOptions.defaults(0, Files.createTempDirectory("courier-cli-hub")));
    }

    @AfterAll
    static void stopHub() { if (hub != null) hub.close(); }

    @Override String url() { return hub.url(); }

    @Override BrokerAddress broker() { return null; }
}
