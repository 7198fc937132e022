package io.courier.cli;

import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code courier hub --port 8080 --data DIR [--token T] [--push GROUP=URL …] [--push-allow HOSTS]}: runs the durable HTTP
 * hub until stopped (Ctrl-C, SIGTERM), with its metrics as Prometheus text at {@code GET /metrics}.
 */
@Command(name = "hub", mixinStandardHelpOptions = true,
        description = "Run the Courier hub: a durable message hub that workers reach at http://HOST:PORT (journal in --data, fsynced before every send is answered).")
final class HubCommand implements Callable<Integer> {
    @ParentCommand
    CourierCli cli;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "TCP port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "Directory of the journal (created if missing).")
    Path data;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1", description = "Address to listen on (0.0.0.0: every interface). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token every request must carry (or set COURIER_HUB_TOKEN, which keeps it out of the process list).")
    String token;

    @Option(names = "--max-payload", paramLabel = "BYTES", defaultValue = "1048576", description = "Largest message (payload plus headers). Default: ${DEFAULT-VALUE}.")
    long maxPayload;

    @Option(names = "--session-timeout", paramLabel = "SECONDS", defaultValue = "30", description = "A poller silent this long is gone: its leases are released. Default: ${DEFAULT-VALUE}.")
    int sessionTimeout;

    @Option(names = "--push", paramLabel = "GROUP[/MEMBER]=URL", description = "Push the group's deliveries to URL (a webhook, signed per Standard Webhooks with --push-secret); repeatable. Kept in the journal; not added twice on a restart.")
    java.util.List<String> push = new java.util.ArrayList<>();

    @Option(names = "--push-allow", paramLabel = "HOST", split = ",", description = "Hosts the hub may push to (names or addresses, comma-separated). Default: loopback only.")
    java.util.List<String> pushAllow = new java.util.ArrayList<>();

    @Option(names = "--push-secret", paramLabel = "SECRET", description = "Signing secret of the --push subscriptions (whsec_BASE64 or any string; or set COURIER_PUSH_SECRET, which keeps it out of the process list).")
    String pushSecret;

    @Option(names = "--min-free-disk", paramLabel = "BYTES", defaultValue = "67108864", description = "Free space kept on the journal's file system for acks and compaction: below it sends get 503 disk_full until space returns. Default: ${DEFAULT-VALUE}.")
    long minFreeDisk;

    @Option(names = "--max-held-bytes", paramLabel = "BYTES", defaultValue = "0", description = "Heap that unacked messages may take (estimated): past it sends get 503 hub_full until consumers catch up, so the hub never runs out of memory and always starts again on its journal. Default: 0, meaning 40%% of the heap (-Xmx).")
    long maxHeldBytes;

    @Option(names = "--max-journal-bytes", paramLabel = "BYTES", defaultValue = "0", description = "Disk the journal may take: past it sends get 503 hub_full until acks let compaction shrink it (at least two segments, 2 × 64 MiB). Default: 0, no limit but --min-free-disk.")
    long maxJournalBytes;

    @Option(names = "--salvage-journal", description = "Start on a damaged journal with every readable record (damaged segments moved to DATA/damaged-<time>/, what was lost reported in the log and /v1/health) instead of refusing to start.")
    boolean salvageJournal;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws InterruptedException {
        String t = token != null ? token : System.getenv("COURIER_HUB_TOKEN");
        HubOptions d = HubOptions.defaults(port, data);
        HubOptions o = d.withHost(host).withToken(t).withLimits(maxPayload, Math.max(d.maxBodyBytes(), maxPayload * 2 + 4096))
                .withSessionTimeout(Duration.ofSeconds(sessionTimeout))
                .withPushAllow(pushAllow).withMinFreeDisk(minFreeDisk).withSalvageJournal(salvageJournal)
                .withMaxHeldBytes(maxHeldBytes).withMaxJournalBytes(maxJournalBytes);
        String secret = pushSecret != null ? pushSecret : System.getenv("COURIER_PUSH_SECRET");
        try {
            o = o.withPush(push, secret);
        } catch (IllegalArgumentException e) {
            cli.err.println("courier hub: " + e.getMessage());
            return 2;
        }
        CourierHub hub;
        try {
            hub = CourierHub.start(o, new SimpleMeterRegistry()); // served as Prometheus text at /metrics
        } catch (IllegalArgumentException e) {
            cli.err.println("courier hub: " + e.getMessage());
            return 2;
        } catch (java.io.UncheckedIOException e) { // a damaged journal, a port in use: the message names the fix
            cli.err.println("courier hub: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hub.close();
            stopped.countDown();
        }, "courier-hub-stop"));
        cli.out.println("courier hub listening on " + hub.url() + " (data " + data.toAbsolutePath() + (t == null ? ", no token" : ", token required")
                + "; health " + hub.url() + "/v1/health, Prometheus metrics " + hub.url() + "/metrics)");
        cli.out.flush();
        stopped.await();
        return 0;
    }
}
