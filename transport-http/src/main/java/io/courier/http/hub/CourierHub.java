package io.courier.http.hub;

import com.sun.net.httpserver.HttpServer;
import io.courier.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Courier hub: a durable, single-node message hub that workers reach over HTTP long-poll ({@code http://}
 * URLs). Embed it ({@code CourierHub.start(HubOptions.defaults(8080, dir))}, then send in-process with
 * {@link #send}) or run it standalone ({@code ./courier hub --port 8080 --data DIR}). Idle pollers cost one
 * parked virtual thread each.
 */
public final class CourierHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CourierHub.class);

    private final HubOptions options;
    private final DurableQueues queues;
    private final HttpServer server;
    private final ExecutorService executor;
    private final ScheduledExecutorService reaper;

    private CourierHub(HubOptions options) throws IOException {
        this.options = options;
        this.queues = new DurableQueues(options.dataDir(), options.segmentBytes(), options.sessionTimeout().toMillis());
        try {
            this.server = bind(options);
        } catch (IOException e) {
            queues.close();
            throw e;
        }
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", new HubApi(queues, options));
        server.start();
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("courier-hub-sessions").factory());
        reaper.scheduleWithFixedDelay(queues.sessions()::reap, 1, 1, TimeUnit.SECONDS);
        log.info("hub listening on {} (data {}, token {})", url(), options.dataDir(), options.token() == null ? "none" : "required");
    }

    /** Opens the journal (recovering every unacked message), then listens. */
    public static CourierHub start(HubOptions options) {
        try {
            return new CourierHub(options);
        } catch (IOException e) {
            throw new UncheckedIOException("the hub could not start on " + options.host() + ":" + options.port() + " with data in "
                    + options.dataDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Caps the connections the JDK's HTTP server accepts by the heap: an open request costs about 32 KiB there (its
     * buffers and the parked virtual thread), so without a cap enough idle pollers would exhaust the heap. Connections
     * past the cap are refused and the client retries. Read once by the JDK, before its first server starts; an
     * explicit {@code -Djdk.httpserver.maxConnections} wins.
     */
    private static void capConnections() {
        long cap = Math.max(1_000, Math.min(1_000_000, Runtime.getRuntime().maxMemory() / (64 << 10)));
        if (System.getProperty("jdk.httpserver.maxConnections") == null) {
            System.setProperty("jdk.httpserver.maxConnections", Long.toString(cap));
        }
    }

    /** Binds, retrying for up to 10 s while the port is still held (a restart right after a crash). */
    private static HttpServer bind(HubOptions o) throws IOException {
        capConnections();
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try {
                return HttpServer.create(new InetSocketAddress(o.host(), o.port()), 1024);
            } catch (BindException e) {
                if (o.port() == 0 || System.currentTimeMillis() > deadline) {
                    throw new BindException("port " + o.port() + " is in use: stop what holds it or choose another port (--port)");
                }
                try { Thread.sleep(200); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); throw e; }
            }
        }
    }

    /** The port the hub listens on. */
    public int port() { return server.getAddress().getPort(); }

    /** The URL clients connect to, e.g. {@code http://127.0.0.1:8080} (without the token). */
    public String url() {
        String host = options.host().equals("0.0.0.0") ? "127.0.0.1" : options.host();
        return "http://" + host + ":" + port();
    }

    /** Sends in-process, without an HTTP hop: completes once the messages are journaled and forced. */
    public CompletableFuture<Void> send(List<Message> batch) { return queues.send(batch); }

    /** Stops listening, ends every session and closes the journal. Accepted messages stay in the journal. */
    @Override
    public void close() {
        server.stop(0);
        reaper.shutdownNow();
        executor.shutdownNow();
        queues.close();
        log.info("hub on port {} stopped", port());
    }
}
