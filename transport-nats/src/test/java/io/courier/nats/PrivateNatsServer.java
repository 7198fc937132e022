package io.courier.nats;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throw-away nats-server of this test alone (on a free port of 127.0.0.1, its own store directory), for what the
 * shared server cannot show: authentication and a server without JetStream. Needs the {@code nats-server} binary
 * that {@code scripts/brokers up nats} installs; fails (never skips) without it.
 */
final class PrivateNatsServer implements AutoCloseable {
    private final Process process;
    final int port;
    private final Path store;

    PrivateNatsServer(boolean jetStream, String... authArgs) throws IOException, InterruptedException {
        String binary = Files.isExecutable(Path.of("/usr/sbin/nats-server")) ? "/usr/sbin/nats-server" : "nats-server";
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) { port = s.getLocalPort(); }
        store = Files.createTempDirectory("courier-nats-test");
        List<String> cmd = new ArrayList<>(List.of(binary, "-a", "127.0.0.1", "-p", Integer.toString(port)));
        if (jetStream) cmd.addAll(List.of("-js", "-sd", store.toString()));
        cmd.addAll(List.of(authArgs));
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File("target/private-nats-" + port + ".log")).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start nats-server for this test: install it with scripts/brokers up nats", e);
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                    close();
                    throw new IllegalStateException("private nats-server did not start on port " + port + " (see target/private-nats-" + port + ".log)");
                }
                Thread.sleep(50);
            }
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(store)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp dir
        }
    }
}
