package io.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Micrometer and OpenTelemetry are optional: a JVM without either on its class path sends and handles messages
 * (no {@code NoClassDefFoundError}).
 */
class WithoutOptionalLibrariesTest {
    @Test
    void sendsAndHandlesWithoutMicrometerOrOpenTelemetry() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("micrometer") && !e.contains("opentelemetry")).collect(Collectors.joining(File.pathSeparator));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", classPath, Main.class.getName()).inheritIO().start();
        assertEquals(true, p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), "child JVM without the optional libraries failed (see its output)");
    }

    /** The child JVM: fails (exit 1) if a library is there after all, or if a message does not go through. */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            for (String absent : new String[] {"io.micrometer.core.instrument.MeterRegistry", "io.opentelemetry.api.OpenTelemetry"}) {
                try { Class.forName(absent); System.exit(1); } catch (ClassNotFoundException expected) { /* absent, as meant */ }
            }
            try (Courier c = Courier.connect("mem://no-optional-libs")) {
                CountDownLatch got = new CountDownLatch(1);
                c.subscribe(SubscriptionOptions.group("g").build(), d -> got.countDown());
                c.send(Message.to("any@g").payload("p").build()).join();
                System.exit(got.await(10, TimeUnit.SECONDS) ? 0 : 1);
            }
        }
    }
}
