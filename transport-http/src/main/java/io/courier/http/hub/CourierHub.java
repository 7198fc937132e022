package io.courier.http.hub;

import io.courier.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import io.courier.runtime.Telemetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Courier hub: a durable, single-node message hub that workers reach over HTTP long-poll ({@code http://}
 * URLs). Embed it ({@code CourierHub.start(HubOptions.defaults(8080, dir))}, then send in-process with
 * {@link #send}) or run it standalone ({@code ./courier hub --port 8080 --data DIR}). An idle poller holds
 * neither a thread nor a buffer (Jetty serves the API).
 */
public final class CourierHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CourierHub.class);

    private final HubOptions options;
    private final DurableQueues queues;
    private final Server jetty;
    private final ExecutorService executor;
    private final ScheduledExecutorService reaper;
    private final PushDispatcher push;

    private CourierHub(HubOptions options, Object meterRegistry) throws IOException {
        this.options = options;
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        Journal.Config journal = new Journal.Config(options.segmentBytes(), options.minFreeDiskBytes(), options.salvageJournal(),
                (int) Math.min(Integer.MAX_VALUE - 8, options.maxBodyBytes() + (64 << 10)), Journal.Fsync.FORCE, options.maxJournalBytes());
        this.queues = new DurableQueues(options.dataDir(), journal, options.sessionTimeout().toMillis(), executor);
        queues.limitHeldBytes(options.heldBytesLimit(), options.maxHeldBytes() > 0 ? "--max-held-bytes"
                : Math.round(HubOptions.DEFAULT_HELD_SHARE * 100) + "% of the heap; --max-held-bytes sets it");
        HubMetrics metrics = meterRegistry == null ? null : new HubMetrics(queues, Telemetry.micrometer(meterRegistry, "http"));
        PushDispatcher pushes = null;
        Server started = null;
        try {
            pushes = new PushDispatcher(queues, options.pushAllow(), executor);
            startPushes(pushes, options);
            long deadline = System.currentTimeMillis() + 10_000;
            while (started == null) {
                Server s = server(options, executor);
                s.setHandler(new HubApi(queues, options, pushes, metrics));
                try {
                    s.start();
                    started = s;
                } catch (Exception e) {
                    stopQuietly(s);
                    if (!isBindFailure(e)) throw new IOException("the hub's HTTP server did not start: " + e, e);
                    if (options.port() == 0 || System.currentTimeMillis() > deadline) {
                        throw new BindException("port " + options.port() + " is in use: stop what holds it or choose another port (--port)");
                    }
                    try { Thread.sleep(200); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); throw new IOException("interrupted while binding", ie); }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (pushes != null) pushes.close();
            executor.shutdownNow();
            queues.close();
            throw e;
        }
        this.jetty = started;
        this.push = pushes;
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("courier-hub-sessions").factory());
        reaper.scheduleWithFixedDelay(queues.sessions()::reap, 1, 1, TimeUnit.SECONDS);
        log.info("hub listening on {} (data {}, token {}, at most {} connections)", url(), options.dataDir(),
                options.token() == null ? "none" : "required", maxConnections());
    }

    /**
     * The {@code --push GROUP[/MEMBER]=URL} subscriptions of the options: made unless the journal already holds one
     * for the same group, member and URL (a restart with the same command line does not add a second one).
     */
    private static void startPushes(PushDispatcher pushes, HubOptions o) {
        for (String spec : o.push()) {
            int eq = spec.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--push '" + spec.replaceAll("\\?.*", "?…") + "' must be GROUP=URL or GROUP/MEMBER=URL");
            String target = spec.substring(0, eq), url = spec.substring(eq + 1);
            int slash = target.indexOf('/');
            String group = slash < 0 ? target : target.substring(0, slash), member = slash < 0 ? null : target.substring(slash + 1);
            try {
                if (pushes.has(group, member, url)) continue;
                pushes.add(pushes.build(group, member, url, o.pushSecret(), null, 4, 10_000, 5, 200, 30_000, 30_000, 0, false));
            } catch (ApiError e) {
                throw new IllegalArgumentException("--push " + target + "=…: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting push subscriptions");
            }
        }
    }

    /** Opens the journal (recovering every unacked message), then listens. */
    public static CourierHub start(HubOptions options) { return start(options, null); }

    /**
     * Like {@link #start(HubOptions)}, recording metrics into {@code meterRegistry} (an
     * {@code io.micrometer.core.instrument.MeterRegistry}, untyped so that the hub loads without Micrometer) and
     * serving them as Prometheus text at {@code GET /metrics}; null: no metrics.
     */
    public static CourierHub start(HubOptions options, Object meterRegistry) {
        try {
            return new CourierHub(options, meterRegistry);
        } catch (IOException e) {
            throw new UncheckedIOException("the hub could not start on " + options.host() + ":" + options.port() + " with data in "
                    + options.dataDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Jetty (core, no servlets) serves {@link HubApi}: an event-loop server (2 selector threads) that keeps no buffer
     * for a request it has read; handlers run on virtual threads, and a waiting long poll holds no thread at all, so
     * an idle poller costs its connection's objects (about 6 KiB of heap) and a 2 KiB input buffer. The byte buffer
     * pool sizes buffers in steps of 1 KiB and keeps at most 4 MiB of released ones, so a burst of requests does not
     * leave its buffers behind.
     */
    private static Server server(HubOptions o, ExecutorService executor) {
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("courier-hub");
        pool.setVirtualThreadsExecutor(executor);
        Server s = new Server(pool, null, new ArrayByteBufferPool(0, 1024, 64 << 10, -1, 4L << 20, 4L << 20));
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        HttpConnectionFactory http1 = new HttpConnectionFactory(config);
        // a request in progress keeps its connection's input buffer until the answer (Jetty releases it on the next
        // read), so every waiting poll holds one: 2 KiB instead of 8 KiB (bigger bodies take more reads)
        http1.setInputBufferSize(2048);
        ServerConnector connector = new ServerConnector(s, 1, 2, http1);
        connector.setHost(o.host());
        connector.setPort(o.port());
        connector.setAcceptQueueSize(1024);
        connector.setReuseAddress(true);
        // a long poll is silent for up to maxWait; a connection silent for longer than that plus a margin is gone
        connector.setIdleTimeout(o.maxWait().toMillis() + 30_000);
        s.addConnector(connector);
        s.addBean(new NetworkConnectionLimit(maxConnections(), s));
        s.setStopTimeout(0);
        return s;
    }

    /**
     * The connections the hub accepts at once, by the heap: an open long poll costs a few KiB there (its parked
     * virtual thread and Jetty's per-connection objects), so the cap of {@code maxMemory / 64 KiB} leaves ample room;
     * past it the hub stops accepting until a connection closes (new ones wait in the accept queue). An explicit
     * {@code -Dcourier.hub.maxConnections} wins.
     */
    static int maxConnections() {
        Integer given = Integer.getInteger("courier.hub.maxConnections");
        if (given != null && given > 0) return given;
        return (int) Math.max(1_000, Math.min(1_000_000, Runtime.getRuntime().maxMemory() / (64 << 10)));
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) return true;
            for (Throwable s : t.getSuppressed()) if (isBindFailure(s)) return true;
        }
        return false;
    }

    private static void stopQuietly(Server s) {
        try {
            s.stop();
        } catch (Exception ignored) {
            // it did not start
        }
    }

    /** The port the hub listens on. */
    public int port() { return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort(); }

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
        int port = port(); // the connector answers -2 once stopped
        push.close();
        stopQuietly(jetty);
        reaper.shutdownNow();
        executor.shutdownNow();
        queues.close();
        log.info("hub on port {} stopped", port);
    }
}
