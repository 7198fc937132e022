package io.courier.http;

import io.courier.conformance.TransportFixture;
import io.courier.conformance.UrlFixture;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The conformance fixture of {@code http://}: a real hub in a child JVM (this JVM's java and class path) with its
 * journal under {@code target/}. {@link #restartBroker()} kills it with SIGKILL ({@code destroyForcibly}) and
 * starts it again on the same port and data directory, so every restart is a crash; the suite's TCP proxy sits
 * between client and hub for the cut clauses. The plain sender is {@link HubPlainClient}'s bare JSON POST.
 */
public final class HubFixture implements TransportFixture, AutoCloseable {
    private final int port;
    private final Path data;
    private final List<String> extraArgs;
    private final String xmx;
    private final File log;
    private Process process;

    /** A hub on a free port with a fresh data directory; {@code extraArgs} go to {@code HubMain}. */
    public HubFixture(String name, String... extraArgs) {
        this(name, System.getProperty("courier.hub.xmx", "-Xmx512m"), extraArgs);
    }

    /** A hub whose JVM has the heap option {@code xmx} (e.g. {@code -Xmx128m}). */
    public static HubFixture withHeap(String name, String xmx, String... extraArgs) { return new HubFixture(name, xmx, extraArgs); }

    private HubFixture(String name, String xmx, String[] extraArgs) {
        this.xmx = xmx;
        this.port = freePort();
        this.data = Path.of("target", "hub-data", name + "-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
        this.extraArgs = List.of(extraArgs);
        this.log = Path.of("target", "hub-" + name + ".log").toFile();
        start();
        Runtime.getRuntime().addShutdownHook(new Thread(this::close));
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    /** Starts the hub process and waits until {@code /v1/health} answers. */
    public synchronized void start() {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, xmx, "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-cp", System.getProperty("java.class.path"), "io.courier.http.hub.HubMain",
                "--port", Integer.toString(port), "--data", data.toString()));
        cmd.addAll(extraArgs);
        try {
            Files.createDirectories(data);
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start the hub process: " + e, e);
        }
        awaitHealthy();
    }

    private void awaitHealthy() {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/v1/health")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 || r.statusCode() == 401) return;
            } catch (IOException e) {
                // not up yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (!process.isAlive()) throw new IllegalStateException("the hub process exited with " + process.exitValue() + ": see " + log);
            if (System.currentTimeMillis() > deadline) throw new IllegalStateException("the hub did not answer within 60 s: see " + log);
            try { Thread.sleep(50); } catch (InterruptedException e) { Thread.currentThread().interrupt(); return; }
        }
    }

    /** SIGKILL: no shutdown hook, no final fsync. */
    public synchronized void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** The hub's data directory. */
    public Path dataDir() { return data; }

    public int port() { return port; }

    /** The hub process's pid. */
    public synchronized long pid() { return process.pid(); }

    @Override public String name() { return "http"; }

    @Override public String url() { return "http://127.0.0.1:" + port; }

    @Override public InetSocketAddress brokerAddress() { return new InetSocketAddress("127.0.0.1", port); }

    @Override public String urlThrough(InetSocketAddress proxy) { return "http://127.0.0.1:" + proxy.getPort(); }

    @Override public boolean canRestart() { return true; }

    @Override public boolean inRepository() { return true; }

    @Override
    public synchronized void restartBroker() throws Exception {
        kill();
        start();
    }

    /** The shared plain {@code POST /v1/send} of {@link HubPlainClient}, as {@code ./courier conformance} uses it. */
    @Override
    public PlainSender plainSender() { return UrlFixture.plainSenderFor(url()); }

    @Override
    public synchronized void close() {
        if (process != null) process.destroyForcibly();
    }
}
