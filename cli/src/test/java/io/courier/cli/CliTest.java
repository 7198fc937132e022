package io.courier.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The demo's promises (nothing lost, one dead letter) and the one-line errors of the command line. */
class CliTest {

    /** What one CLI run printed and returned. */
    record Run(int exit, String out, String err) {
        List<String> errLines() { return err.lines().filter(l -> !l.isBlank()).toList(); }
    }

    static Run courier(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = CourierCli.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void demoOnMemLosesNothingAndDeadLettersThePoisonTask() throws InterruptedException {
        DemoReport r = new Demo(new Demo.Settings("mem://", 200, 3, 8, Duration.ofSeconds(60)), null).run();
        assertEquals(200, r.sent());
        assertEquals(0, r.lost(), "every task must be completed or dead-lettered");
        assertEquals(1, r.deadLettered(), "exactly the poison task is dead-lettered");
        assertEquals(199, r.completed());
        assertTrue(r.retried() >= 20 + 2, "every 10th task and the poison task are retried, got " + r.retried());
        assertEquals("w3", r.stop().member(), "the last worker is stopped mid-way");
        assertEquals(200, r.metrics().sent(), "the runtime's metrics count the same sends: " + r.metrics());
        assertEquals(1, r.metrics().deadLetters(), r.metrics().toString());
        assertTrue(r.metrics().consumed() >= 200 + r.metrics().redeliveries() && r.metrics().redeliveries() >= 20 + 2, r.metrics().toString());
    }

    @Test
    void demoWithTracePrintsThePoisonTasksSpanTreeAcrossItsAttemptsAndDeadLetter() throws InterruptedException {
        DemoReport r = new Demo(new Demo.Settings("mem://", 50, 2, 4, Duration.ofSeconds(60), true), null).run();
        String tree = String.join("\n", r.poisonTrace());
        assertTrue(r.poisonTrace().get(0).startsWith("  send any@demo-"), tree);
        for (int attempt = 1; attempt <= Demo.MAX_ATTEMPTS; attempt++) {
            assertTrue(tree.contains("    process any@demo-") && tree.contains("attempt " + attempt + ", error]"), tree);
        }
        assertTrue(tree.matches("(?s).*send any@demo-[0-9a-f]+\\.dlq.*process any@demo-[0-9a-f]+\\.dlq.*"), tree);
    }

    @Test
    void demoCommandPrintsTheTableAndExitsZero() {
        Run run = courier("demo", "--tasks", "200", "--workers", "2");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().matches("(?s).*\\n  lost +0 .*"), run.out());
        assertTrue(run.out().matches("(?s).*\\n  dead-lettered +1 .*"), run.out());
        assertTrue(run.out().contains("metrics (recorded by the runtime): sent 200, "), run.out());
        assertTrue(run.err().contains("200/200"), "progress bar on stderr: " + run.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"conformance nosuch://x", "conformance kafka://:99999", "conformance http://[bad",
            "demo --transport nosuch://", "conformance mem://?nosuch=1", "demo --tasks 0"})
    void badInputEndsWithOneLineAndNonZeroExit(String args) {
        Run run = courier(args.split(" "));
        assertNotEquals(0, run.exit());
        assertEquals(1, run.errLines().size(), "one line, no stack trace: " + run.err());
        assertTrue(run.err().startsWith("courier: "), run.err());
        assertEquals("", run.out());
    }

    @Test
    void unknownSchemeNamesTheSchemesOnTheClassPath() {
        Run run = courier("conformance", "nosuch://x");
        assertEquals(CourierCli.BAD_INPUT, run.exit());
        assertTrue(run.err().contains("'nosuch://'") && run.err().contains("mem://"), run.err());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run run = courier("conformance", "http://[bad", "--verbose");
        assertNotEquals(0, run.exit());
        assertTrue(run.errLines().size() > 1 && run.err().contains("InvalidUrlException"), run.err());
    }

    @Test
    void usageErrorsGetOneLineAndTheUsage() {
        Run run = courier("demo", "--tasks", "many");
        assertEquals(CourierCli.BAD_INPUT, run.exit());
        assertTrue(run.errLines().get(0).startsWith("courier: Invalid value for option '--tasks'"), run.err());
        assertTrue(run.err().contains("Usage: courier demo"), run.err());
    }
}
