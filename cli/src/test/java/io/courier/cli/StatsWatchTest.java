package io.courier.cli;

import static io.courier.cli.CliTest.courier;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.Message;
import io.courier.spi.Admin;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code courier stats --watch}: the printed counts and changes follow a backlog that grows, stays and drains between
 * ticks (driven tick by tick on mem://, and through the CLI with {@code --ticks} while a sender fills the group), bad
 * intervals exit 2, and Ctrl-C / SIGTERM end a watch in a child JVM with exit 0.
 */
class StatsWatchTest {
    private static final String URL = "mem://ops-stats-watch";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eachTickShowsTheChangeSinceThePreviousOneAndItsRate() throws Exception {
        String g = "ops-watch-table";
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-03T15:00:00Z"));
        Clock clock = new Clock() {
            @Override public Instant instant() { return now.get(); }
            @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        };
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Courier courier = Courier.connect(URL)) {
            Admin admin = courier.transport().admin().orElseThrow();
            send(courier, "any@" + g, 5);
            List<Runnable> betweenTicks = List.of(
                    () -> { send(courier, "any@" + g, 10); send(courier, "any@" + g + ".dlq", 1); }, // grows by 10 in 2 s, one dead letter
                    () -> { },                                                                        // stays
                    () -> admin.deleteGroup(g));                                                      // drains 15 in 2 s
            int[] pauses = {0};
            StatsWatch watch = new StatsWatch(admin, List.of(g), Duration.ofSeconds(2), 4,
                    new StatsTable(new PrintStream(bytes, true, StandardCharsets.UTF_8), false), clock, interval -> {
                        betweenTicks.get(pauses[0]++).run();
                        now.set(now.get().plus(interval));
                        return false;
                    });
            assertEquals(4, watch.run());
        }
        List<String> rows = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(g)).map(l -> l.replaceAll(" +", " ")).toList();
        assertEquals(List.of(g + " 5 - - 0 0 0 - unknown",
                g + " 15 +10 +5.0 0 0 1 +1 unknown",
                g + " 15 0 0.0 0 0 1 0 unknown",
                g + " 0 -15 -7.5 0 0 0 -1 unknown"), rows, bytes.toString(StandardCharsets.UTF_8));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("-- 2026-12-03T15:00:00Z  tick 1, every 2s; Ctrl-C to stop\ngroup "));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("\n-- 2026-12-03T15:00:06Z  tick 4, every 2s; Ctrl-C to stop\n"));
    }

    @Test
    void watchWithTicksPrintsOneJsonLinePerTickThatFollowsAGrowingBacklog() throws Exception {
        String g = "ops-watch-json";
        AtomicBoolean sending = new AtomicBoolean(true);
        CliTest.Run run;
        try (Courier courier = Courier.connect(URL)) {
            Thread sender = Thread.ofVirtual().start(() -> {
                for (int i = 0; sending.get(); i++) {
                    courier.send(Message.to("any@" + g).id("s" + i).payload("x").build()).join();
                    try { Thread.sleep(10); } catch (InterruptedException e) { return; }
                }
            });
            run = courier("stats", URL, g, "--watch", "300ms", "--ticks", "4", "--json");
            sending.set(false);
            sender.join();
        }
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("watched 1 group(s) of " + URL + ": 4 tick(s) in "), run.err());
        List<JsonNode> ticks = new ArrayList<>();
        for (String line : run.out().lines().toList()) ticks.add(JSON.readTree(line));
        assertEquals(4, ticks.size(), run.out());
        assertTrue(ticks.get(0).get("backlogChange").isNull() && ticks.get(0).get("backlogPerSecond").isNull(), run.out());
        for (int t = 1; t < 4; t++) {
            JsonNode before = ticks.get(t - 1), now = ticks.get(t);
            assertEquals(t + 1, now.get("tick").asInt());
            long change = now.get("backlog").asLong() - before.get("backlog").asLong();
            assertTrue(change > 0, "a sender fills the group between ticks: " + run.out());
            assertEquals(change, now.get("backlogChange").asLong(), run.out());
            double seconds = Duration.between(Instant.parse(before.get("at").asText()), Instant.parse(now.get("at").asText())).toMillis() / 1000.0;
            assertEquals(change / seconds, now.get("backlogPerSecond").asDouble(), 0.06, run.out());
            assertTrue(seconds >= 0.3, "ticks at least the interval apart: " + seconds);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"--watch soon", "--watch 0s", "--watch 50ms", "--watch=-1s", "--ticks 3", "--watch 1s --ticks 0"})
    void aBadIntervalOrTickCountExitsTwoWithOneLineNamingTheFix(String options) {
        List<String> args = new ArrayList<>(List.of("stats", URL, "ops-watch-bad"));
        args.addAll(List.of(options.split(" ")));
        CliTest.Run r = courier(args.toArray(String[]::new));
        assertEquals(CourierCli.BAD_INPUT, r.exit(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().matches("courier: .*(e\\.g\\. --watch 2s|such as 500ms, 2s or 1m|add --watch|1 or more).*\\s*"), r.err());
        assertEquals("", r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalEndsTheWatchWithExitZeroAfterTheTickItPrints(String signal) throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), CourierCli.class.getName(),
                "stats", "mem://", "ops-watch-signal", "--watch", "200ms").redirectErrorStream(false).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int rows = 0;
            for (String line; rows < 2 && (line = out.readLine()) != null; ) if (line.startsWith("ops-watch-signal ")) rows++;
            assertEquals(2, rows, "two ticks printed before the signal");
            assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the watch ends on SIG" + signal);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), "SIG" + signal + " is the normal end of a watch: " + err);
            assertTrue(err.contains("watched 1 group(s) of mem://: "), err);
        } finally {
            p.destroyForcibly();
        }
    }

    private static void send(Courier courier, String destination, int n) {
        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) batch.add(Message.to(destination).payload("x").build());
        courier.send(batch).join();
    }
}
