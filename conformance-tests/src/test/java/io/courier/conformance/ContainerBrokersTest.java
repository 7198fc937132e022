package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fallback path of {@link ContainerBrokers}: these machines have no Docker engine, so the container path is
 * untested here; what is tested is that without one the fixture says so in one log line and uses the URL or the
 * broker of scripts/brokers, and that the probe never starts Testcontainers' own (multi-line) Docker search then.
 */
class ContainerBrokersTest {

    @Test
    void withoutADockerEngineTheFixtureSaysSoInOneLogLineAndUsesTheFallback() {
        String reason = ContainerBrokers.dockerUnavailableReason();
        UrlFixture fallback = new UrlFixture("nats://127.0.0.1:4222", null, false);
        if (reason == null) { // a machine with a Docker engine: the fallback is checked with a probe that finds none (no skip)
            String none = ContainerBrokers.dockerUnavailableReason(Map.of("HOME", "/nonexistent"), path -> false, true,
                    () -> { throw new AssertionError("the probe asked Testcontainers although nothing was configured"); });
            List<String> logged = new ArrayList<>();
            assertSame(fallback, ContainerBrokers.fixture(ContainerBrokers.Broker.NATS, () -> fallback, none, logged::add));
            assertEquals(1, logged.size(), "one log line, got: " + logged);
            assertTrue(logged.get(0).contains("nats not in a container (no Docker engine"), logged.get(0));
            return;
        }
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        TransportFixture f;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            f = ContainerBrokers.fixture(ContainerBrokers.Broker.NATS, () -> fallback);
        } finally {
            System.setErr(saved);
        }
        assertSame(fallback, f, "without Docker the fallback fixture is used");
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "one log line, got: " + lines);
        assertTrue(lines.get(0).contains("nats not in a container (no Docker engine") && lines.get(0).contains("using nats://127.0.0.1:4222"), lines.get(0));
    }

    @Test
    void theLineNamesTheReasonAndTheRedactedFallbackUrl() {
        List<String> lines = new ArrayList<>();
        UrlFixture fallback = new UrlFixture("amqp://guest:secret@127.0.0.1:5672/%2F", null, false);
        assertSame(fallback, ContainerBrokers.fixture(ContainerBrokers.Broker.RABBITMQ, () -> fallback, "no Docker engine: test", lines::add));
        assertEquals(List.of("conformance: rabbitmq not in a container (no Docker engine: test); using amqp://guest:***@127.0.0.1:5672/%2F"), lines);
    }

    @Test
    void theFallbackIsTheUrlGivenElseTheBrokerOfScriptsBrokers() {
        assertEquals("nats://10.0.0.9:4222", ContainerBrokers.urlOrRepository(ContainerBrokers.Broker.NATS, "nats://10.0.0.9:4222").url());
        assertEquals("nats://127.0.0.1:4222", ContainerBrokers.urlOrRepository(ContainerBrokers.Broker.NATS, null).url());
        assertEquals("sqs://127.0.0.1:9324?region=elasticmq", ContainerBrokers.urlOrRepository(ContainerBrokers.Broker.SQS, " ").url());
        assertEquals("postgres://postgres@127.0.0.1:5432/test", ContainerBrokers.urlOrRepository(ContainerBrokers.Broker.POSTGRES, null).url());
    }

    @Test
    void theProbeAsksTestcontainersOnlyWhereADockerEngineMayBe() {
        java.util.function.Supplier<String> mustNotAsk = () -> fail("Testcontainers' Docker search must not run without a Docker socket or DOCKER_HOST");
        String none = ContainerBrokers.dockerUnavailableReason(Map.of("HOME", "/nonexistent"), p -> false, true, mustNotAsk);
        assertTrue(none.startsWith("no Docker engine: DOCKER_HOST is not set"), none);
        String noLibrary = ContainerBrokers.dockerUnavailableReason(Map.of(), p -> true, false, mustNotAsk);
        assertTrue(noLibrary.contains("org.testcontainers:testcontainers is not on the class path"), noLibrary);
        assertNull(ContainerBrokers.dockerUnavailableReason(Map.of("HOME", "/h", "DOCKER_HOST", "tcp://d:2375"), p -> false, true, () -> null));
        assertNull(ContainerBrokers.dockerUnavailableReason(Map.of("HOME", "/h"), p -> p.equals(Path.of("/var/run/docker.sock")), true, () -> null));
        assertEquals("Testcontainers found no working Docker engine", ContainerBrokers.dockerUnavailableReason(Map.of("HOME", "/h", "DOCKER_HOST", "x"),
                p -> false, true, () -> "Testcontainers found no working Docker engine"));
    }
}
