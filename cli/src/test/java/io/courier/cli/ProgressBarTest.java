package io.courier.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The demo's progress bar and log lines on one stderr: a log line takes the bar's place, never shares its line. */
class ProgressBarTest {
    @Test
    void aLogLineWrittenWhileTheBarRunsStartsOnItsOwnLine() throws Exception {
        CourierCli.configureLogging(false);
        Logger log = LoggerFactory.getLogger("bar-test");
        log.warn("before the bar"); // the logger exists before the bar wraps System.err, as in the demo
        PrintStream realErr = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream raw = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        System.setErr(raw); // stands for the terminal
        AtomicInteger done = new AtomicInteger(3);
        try {
            ProgressBar bar = new ProgressBar(raw, 10, done::get).start();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!bytes.toString(StandardCharsets.UTF_8).contains("3/10") && System.nanoTime() < deadline) Thread.onSpinWait();
            log.warn("dead-lettered messageId=m-1");
            done.set(10);
            bar.close();
        } finally {
            System.setErr(realErr);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        String logLine = null;
        for (String line : out.split("\n")) if (line.contains("dead-lettered messageId=m-1")) logLine = line;
        assertTrue(logLine != null, out);
        String shown = logLine.substring(logLine.lastIndexOf('\r') + 1); // what a terminal keeps of the line
        assertTrue(!shown.contains("/10") && !shown.contains("---"),
                "the log line and the bar share a line: " + out);
        String[] lines = out.split("\n");
        for (int i = 0; i < lines.length - 1; i++) {
            String kept = lines[i].substring(lines[i].lastIndexOf('\r') + 1);
            assertTrue(!kept.contains("/10"), "a stale bar is left above the log line: " + out);
        }
        assertTrue(out.endsWith("10/10" + System.lineSeparator()), out);
    }
}
