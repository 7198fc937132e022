package io.courier.http.hub;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs a hub standalone: {@code java -cp … io.courier.http.hub.HubMain --port 8080 --data DIR [--token T]
 * [--host H] [--max-payload BYTES] [--segment-bytes BYTES] [--session-timeout-ms MS] [--push GROUP[/MEMBER]=URL …]
 * [--push-allow HOST,HOST] [--push-secret S | env COURIER_PUSH_SECRET] [--min-free-disk BYTES] [--max-held-bytes BYTES] [--max-journal-bytes BYTES] [--salvage-journal]}. The token may also come from
 * the environment variable {@code COURIER_HUB_TOKEN} (so that it does not show in the process list). Prints
 * {@code courier hub listening on URL} once it accepts requests.
 */
public final class HubMain {
    private HubMain() {}

    public static void main(String[] args) {
        HubOptions o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("courier hub: " + e.getMessage());
            System.exit(2);
            return;
        }
        CourierHub hub = CourierHub.start(o);
        Runtime.getRuntime().addShutdownHook(new Thread(hub::close, "courier-hub-shutdown"));
        System.out.println("courier hub listening on " + hub.url());
        System.out.flush();
    }

    /** Parses the command line into options; throws {@link IllegalArgumentException} naming a bad option. */
    static HubOptions parse(String[] args) {
        int port = 8080;
        Path data = null;
        String token = System.getenv("COURIER_HUB_TOKEN");
        String host = "127.0.0.1";
        HubOptions d = HubOptions.defaults(0, Path.of("."));
        long maxPayload = d.maxPayloadBytes(), segment = d.segmentBytes(), session = d.sessionTimeout().toMillis();
        java.util.List<String> pushAllow = new java.util.ArrayList<>(), push = new java.util.ArrayList<>();
        String pushSecret = System.getenv("COURIER_PUSH_SECRET");
        long minFree = HubOptions.DEFAULT_MIN_FREE_DISK;
        boolean salvage = false;
        long maxHeld = 0, maxJournal = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--salvage-journal")) { salvage = true; continue; }
            if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value");
            String v = args[++i];
            try {
                switch (a) {
                    case "--port" -> port = Integer.parseInt(v);
                    case "--data" -> data = Path.of(v);
                    case "--token" -> token = v;
                    case "--host" -> host = v;
                    case "--max-payload" -> maxPayload = Long.parseLong(v);
                    case "--segment-bytes" -> segment = Long.parseLong(v);
                    case "--session-timeout-ms" -> session = Long.parseLong(v);
                    case "--push" -> push.add(v);
                    case "--push-allow" -> { for (String h : v.split(",")) if (!h.isBlank()) pushAllow.add(h.trim()); }
                    case "--push-secret" -> pushSecret = v;
                    case "--min-free-disk" -> minFree = Long.parseLong(v);
                    case "--max-held-bytes" -> maxHeld = Long.parseLong(v);
                    case "--max-journal-bytes" -> maxJournal = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("unknown option " + a + ": use --port, --data, --token, --host, --max-payload, --segment-bytes, --session-timeout-ms, --push GROUP[/MEMBER]=URL, --push-allow HOST[,HOST], --push-secret S, --min-free-disk BYTES, --max-held-bytes BYTES, --max-journal-bytes BYTES, --salvage-journal");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("option " + a + " needs a whole number, got '" + v + "'");
            }
        }
        if (data == null) throw new IllegalArgumentException("--data DIR is required: the directory of the hub's journal");
        long body = Math.max(d.maxBodyBytes(), maxPayload * 2 + 4096);
        return new HubOptions(host, port, data, token, maxPayload, body, segment, Duration.ofMillis(session), d.maxWait(),
                pushAllow, push, pushSecret, minFree, salvage, maxHeld, maxJournal);
    }
}
