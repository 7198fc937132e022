package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.courier.Courier;
import io.courier.Message;
import io.courier.TransportUnavailableException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real failed fsync: the journal on ext4 on a thin loop device (its image on an 8 MiB tmpfs, the file system 128
 * MiB), so writes succeed into the page cache and the kernel's writeback fails once the tmpfs is full; fsync returns
 * the error. The hub must then never answer 200 again, even after space returns, say why at ERROR and in
 * {@code /v1/health}, and a restart on the same journal must hold every message it answered 200.
 */
class HubFsyncFailureTest {

    @Test
    void afterAFailedFsyncTheHubAcceptsNothingAndSaysWhy() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (ScratchDisk disk = ScratchDisk.thinExt4("fsync", 128 << 20, 8 << 20)) {
            HubOptions options = HubOptions.defaults(0, disk.dir().resolve("hub")).withMinFreeDisk(1 << 20);
            String group = "fsync-" + UUID.randomUUID().toString().substring(0, 8);
            Set<String> accepted = new LinkedHashSet<>();
            int sent = 0, refusedAfter = 0, okAfter = 0;
            System.setErr(new PrintStream(new TeeStream(err, log), true));
            CourierHub hub = CourierHub.start(options);
            try (Courier c = Courier.connect(hub.url() + "?retry-for=1s")) {
                Throwable failed = null;
                while (failed == null && sent < 20_000) { // 16 MiB and more into an 8 MiB device
                    List<Message> batch = batch(group, sent);
                    sent += batch.size();
                    try {
                        c.send(batch).get(30, TimeUnit.SECONDS);
                        for (Message m : batch) accepted.add(m.id());
                    } catch (ExecutionException e) {
                        failed = e.getCause();
                    }
                }
                assertNotNull(failed, "no fsync failed after " + sent + " messages");
                assertInstanceOf(TransportUnavailableException.class, failed);
                assertTrue(failed.getMessage().contains("fsync of") && failed.getMessage().contains("restart the hub"), failed.getMessage());

                disk.growBacking(256 << 20); // space returns: the hub must still refuse, its fsync proved nothing
                for (int i = 0; i < 5; i++) {
                    List<Message> batch = batch(group, sent);
                    sent += batch.size();
                    try {
                        c.send(batch).get(30, TimeUnit.SECONDS);
                        okAfter++;
                    } catch (ExecutionException e) {
                        refusedAfter++;
                    }
                }
                JsonNode health = DiskTestSupport.health(hub);
                assertEquals("failed", health.get("journal").get("state").asText(), health.toString());
                assertEquals("down", health.get("status").asText(), health.toString());
                assertTrue(health.get("journal").get("error").asText().contains("fsync of"), health.toString());
            } finally {
                hub.close();
                System.setErr(err);
            }
            String logged = log.toString();
            assertTrue(logged.contains("ERROR io.courier.http.hub.Journal - transport=http journal=") && logged.contains("fsync of"),
                    "the failed fsync is logged at ERROR naming the journal");
            assertEquals(0, okAfter, "a send was answered 200 after a failed fsync");
            assertEquals(5, refusedAfter);

            DiskTestSupport.Drained drained = DiskTestSupport.restartAndDrain(options, group, accepted);
            assertEquals("ok", drained.journalState());
            Set<String> lost = drained.lostOf(accepted), unanswered = drained.unansweredOf(accepted);
            System.out.printf("fsync failure: sent %d, accepted %d, refused %d (%d of them after space returned), lost %d, duplicates %d,"
                    + " refused ones delivered after the restart %d, restart took %d ms%n", sent, accepted.size(), sent - accepted.size(),
                    refusedAfter, lost.size(), drained.duplicates(), unanswered.size(), drained.startMillis());
            assertEquals(0, lost.size(), "lost accepted messages, e.g. " + lost.stream().limit(5).toList());
        } finally {
            System.setErr(err);
        }
    }

    /** 20 messages of 16 KiB: 320 KiB a request. */
    private static List<Message> batch(String group, int first) {
        List<Message> b = new ArrayList<>();
        for (int i = first; i < first + 20; i++) b.add(Message.to("any@" + group).id("m" + i).payload(new byte[16 << 10]).build());
        return b;
    }

}
