package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real, size-limited file system for one test, mounted under a fresh directory in {@code /tmp} and unmounted by
 * {@link #close}. Needs root and {@code mount} (and a loop device for {@link #thinExt4}); without them the test fails
 * under {@code CI=true} and is skipped, saying why, otherwise.
 */
final class ScratchDisk implements AutoCloseable {
    private final Path root;
    private final Path dir;
    private final Path backing;
    private final List<Path> mounts = new ArrayList<>();

    private ScratchDisk(String tag, boolean thin) throws IOException {
        this.root = Files.createTempDirectory(Path.of("/tmp"), "courier-" + tag + "-");
        this.dir = root.resolve("fs");
        this.backing = thin ? root.resolve("backing") : dir;
        Files.createDirectories(dir);
        Files.createDirectories(backing);
    }

    /** A tmpfs of {@code bytes}. */
    static ScratchDisk tmpfs(String tag, long bytes) throws IOException {
        ScratchDisk d = new ScratchDisk(tag, false);
        d.mount(d.dir, "mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", d.dir.toString());
        return d;
    }

    /**
     * An ext4 file system (without its own journal) of {@code imageBytes} on a loop device whose image file lives on a
     * tmpfs of only {@code backingBytes}: thin provisioning. Writes land in the page cache and succeed; once the tmpfs
     * is full, writing them back to the device fails, so {@code fsync} fails with a real I/O error from the kernel.
     */
    static ScratchDisk thinExt4(String tag, long imageBytes, long backingBytes) throws IOException {
        ScratchDisk d = new ScratchDisk(tag, true);
        d.mount(d.backing, "mount", "-t", "tmpfs", "-o", "size=" + backingBytes, "tmpfs", d.backing.toString());
        Path image = d.backing.resolve("disk.img");
        d.run("truncate", "-s", Long.toString(imageBytes), image.toString());
        d.run("mkfs.ext4", "-q", "-F", "-O", "^has_journal", image.toString());
        d.mount(d.dir, "mount", "-o", "loop", image.toString(), d.dir.toString());
        return d;
    }

    /** The mounted file system's root. */
    Path dir() { return dir; }

    /** Gives the thin device's backing tmpfs {@code bytes} (space returns). */
    void growBacking(long bytes) throws IOException { run("mount", "-o", "remount,size=" + bytes, backing.toString()); }

    private void mount(Path at, String... cmd) throws IOException {
        run(cmd);
        mounts.add(0, at);
    }

    private void run(String... cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            close();
            missing(String.join(" ", cmd) + " could not run: " + e.getMessage());
            return;
        }
        try {
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                close();
                missing(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + cmd[0], e);
        }
    }

    private static void missing(String why) {
        String message = "this test needs a real size-limited file system (root, mount, tmpfs, a loop device): " + why
                + ". Run it as root on Linux (in a container: --privileged)";
        if ("true".equals(System.getenv("CI"))) fail(message);
        Assumptions.abort(message);
    }

    /** Unmounts everything it mounted (innermost first) and removes its directories. */
    @Override
    public void close() {
        for (Path m : mounts) {
            try {
                Process p = new ProcessBuilder("umount", m.toString()).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() != 0) new ProcessBuilder("umount", "-l", m.toString()).start().waitFor();
            } catch (IOException | InterruptedException e) {
                System.err.println("could not unmount " + m + ": " + e);
            }
        }
        mounts.clear();
        for (Path p : List.of(dir, backing, root)) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // left in /tmp: not mounted any more
            }
        }
    }
}
