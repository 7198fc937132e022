package io.courier.cli;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code courier send URL DEST}: sends one message (or {@code --count N}) and prints the id of each message once the
 * transport durably accepted it.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Send messages to DEST and print their ids once the transport accepted them.",
        footer = {"%nExamples:%n  courier send mem:// any@orders --payload '{\"order\":42}' --header type=created --key customer-7",
                "  echo hello | courier send postgres://postgres@127.0.0.1:5432/test uni@billing/w1 -",
                "  courier send amqp://guest:guest@127.0.0.1:5672/ any@load --count 10000 --id load"})
final class SendCommand implements Callable<Integer> {
    /** Messages per {@link Courier#send(List)} call. */
    static final int BATCH = 100;
    /** From this count on, a progress bar runs on stderr. */
    static final int PROGRESS_FROM = 1000;

    @ParentCommand
    CourierCli cli;

    @Mixin
    OperatorTarget target;

    @Parameters(index = "1", paramLabel = "DEST", description = "Destination: any@group, uni@group/member or any@group/member (sticky).")
    String destination;

    @Parameters(index = "2", arity = "0..1", paramLabel = "-", description = "'-': read the payload from stdin.")
    String stdin;

    @Option(names = "--payload", paramLabel = "TEXT", description = "The payload, as UTF-8 text.")
    String payload;

    @Option(names = "--file", paramLabel = "F", description = "Read the payload (any bytes) from this file.")
    Path file;

    @Option(names = "--header", paramLabel = "K=V", description = "A header; repeat for more.")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = "--key", paramLabel = "K", description = "Ordering key: messages of one key are handled one at a time, in order.")
    String key;

    @Option(names = "--delay", paramLabel = "D", description = "Not to be delivered before this long from now (500ms, 10s, 2m, PT1H).")
    String delay;

    @Option(names = "--id", paramLabel = "ID", description = "Message id (default: a random UUID); with --count, ID-1 … ID-N.")
    String id;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1", description = "Send N messages. Default: ${DEFAULT-VALUE}.")
    int count;

    @Override
    public Integer call() throws IOException {
        if (count < 1) throw new IllegalArgumentException("--count must be at least 1, got " + count);
        Destination dest = Destination.parse(destination);
        byte[] body = payload();
        Message.Builder template = Message.to(dest).payload(body).orderingKey(key).headers(headers);
        if (delay != null) template.notBefore(Instant.now().plus(Operators.duration("--delay", delay)));
        List<Message> all = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) all.add(template.id(idOf(i)).build());
        AtomicInteger sent = new AtomicInteger();
        try (Courier courier = target.connect();
             ProgressBar progress = count >= PROGRESS_FROM ? new ProgressBar(cli.err, count, sent::get).start() : null) {
            long started = System.nanoTime();
            for (int from = 0; from < count; from += BATCH) {
                List<Message> batch = all.subList(from, Math.min(count, from + BATCH));
                try {
                    courier.send(batch).join();
                } catch (RuntimeException e) {
                    cli.err.println("courier: " + sent.get() + " of " + count + " messages were sent (their ids are printed above) before this failure:");
                    throw e;
                }
                for (Message m : batch) print(m);
                sent.addAndGet(batch.size());
            }
            if (count > 1) {
                cli.err.printf("sent %d messages to %s via %s in %d ms%n", count, dest, courier.url(), (System.nanoTime() - started) / 1_000_000);
            }
        }
        return 0;
    }

    private String idOf(int i) {
        if (id == null) return null; // the builder draws a UUID
        return count == 1 ? id : id + "-" + i;
    }

    private void print(Message m) {
        cli.out.println(target.json
                ? new JsonLine().field("id", m.id()).field("destination", m.destination().toString()).field("bytes", m.payload().length)
                : "sent " + m.id() + " to " + m.destination());
    }

    /** The payload from exactly one of --payload, --file and '-' (stdin); empty when none is given. */
    private byte[] payload() throws IOException {
        if (stdin != null && !stdin.equals("-")) {
            throw new IllegalArgumentException("unexpected argument '" + stdin + "' after DEST: write '-' to read the payload from stdin, or use --payload TEXT or --file F");
        }
        int sources = (payload != null ? 1 : 0) + (file != null ? 1 : 0) + (stdin != null ? 1 : 0);
        if (sources > 1) throw new IllegalArgumentException("give the payload once: --payload TEXT, --file F or '-' (stdin)");
        if (payload != null) return payload.getBytes(StandardCharsets.UTF_8);
        if (stdin != null) {
            InputStream in = System.in;
            return in.readAllBytes();
        }
        if (file == null) return new byte[0];
        if (!Files.isReadable(file)) throw new IllegalArgumentException("cannot read --file " + file + ": no such readable file");
        return Files.readAllBytes(file);
    }
}
