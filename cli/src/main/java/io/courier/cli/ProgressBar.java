package io.courier.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * A one-line progress bar on stderr, {@code \r[#####-----] 523/1000}, redrawn every 100 ms. While it runs,
 * {@link System#err} is wrapped so that anything else written there (a log line) first erases the bar's line and
 * takes its place; the bar is redrawn below it on the next tick. Log lines and the bar never share a line, and no
 * stale bar is left between log lines: only the last line on screen is the bar.
 */
final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;

    private final PrintStream raw;
    private final int total;
    private final IntSupplier done;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "courier-progress");
        t.setDaemon(true);
        return t;
    });
    private final PrintStream previousErr = System.err;
    private boolean lineOpen;
    private int drawnLength;
    /** Someone else wrote part of a line to stderr: do not draw into it. */
    private boolean othersMidLine;

    ProgressBar(PrintStream raw, int total, IntSupplier done) {
        this.raw = raw;
        this.total = total;
        this.done = done;
    }

    /** Installs the stderr wrapper and starts redrawing. */
    ProgressBar start() {
        System.setErr(new PrintStream(new LineBreakingStream(), true));
        ticker.scheduleAtFixedRate(this::draw, 0, 100, TimeUnit.MILLISECONDS);
        return this;
    }

    private synchronized void draw() {
        if (othersMidLine) return;
        int n = Math.min(done.getAsInt(), total);
        int filled = total == 0 ? WIDTH : (int) ((long) n * WIDTH / total);
        String line = "[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + n + "/" + total;
        raw.print("\r" + line);
        raw.flush();
        drawnLength = line.length();
        lineOpen = true;
    }

    /** Ends the bar's line for good (at close). */
    private synchronized void breakLine() {
        if (lineOpen) {
            raw.println();
            lineOpen = false;
        }
    }

    /** Erases the bar's line so that another writer's line takes its place (redrawn on the next tick). */
    private synchronized void eraseLine() {
        if (lineOpen) {
            raw.print("\r" + " ".repeat(drawnLength) + "\r");
            lineOpen = false;
        }
    }

    /** Draws the final state, ends the line and restores {@link System#err}. */
    @Override
    public void close() {
        ticker.shutdownNow();
        try { ticker.awaitTermination(1, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        draw();
        breakLine();
        System.setErr(previousErr);
    }

    /** Forwards to the raw stream, first erasing an open progress line. */
    private final class LineBreakingStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            synchronized (ProgressBar.this) {
                eraseLine();
                raw.write(b);
                othersMidLine = b != '\n';
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (ProgressBar.this) {
                eraseLine();
                raw.write(b, off, len);
                if (len > 0) othersMidLine = b[off + len - 1] != '\n';
            }
        }

        @Override
        public void flush() { raw.flush(); }
    }
}
