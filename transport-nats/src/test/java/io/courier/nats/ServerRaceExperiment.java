package io.courier.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.NatsJetStreamMetaData;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Experiment (not part of the build's lanes): raw jnats against a private nats-server. A redelivery that becomes due
 * at the instant the only waiting pull request expires.
 */
class ServerRaceExperiment {
    @Test
    void redeliveryDueWhenTheOnlyPullRequestExpires() throws Exception {
        int rounds = Integer.getInteger("rounds", 200);
        try (PrivateNatsServer server = new PrivateNatsServer(true);
             Connection nc = Nats.connect("nats://127.0.0.1:" + server.port)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            String inbox = nc.createInbox();
            Subscription sub = nc.subscribe(inbox + ".*");
            int dups = 0, lost = 0, lostStatus = 0;
            for (int r = 0; r < rounds; r++) {
                String stream = "EXP" + r;
                jsm.addStream(StreamConfiguration.builder().name(stream).subjects("exp" + r + ".>").storageType(StorageType.File)
                        .retentionPolicy(RetentionPolicy.WorkQueue).build());
                jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("any").filterSubject("exp" + r + ".any")
                        .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(15)).maxDeliver(-1).build());
                String next = "$JS.API.CONSUMER.MSG.NEXT." + stream + ".any";
                nc.jetStream().publish("exp" + r + ".any", "A".getBytes());
                nc.jetStream().publish("exp" + r + ".any", "B".getBytes());
                pull(nc, next, inbox + ".r" + r + "a", 2, 1000);
                List<Message> first = collect(sub, 2, 2000);
                Message a = first.get(0);
                // B stays unacked (pending). NAK A with delay D and, at the same time, a pull request expiring after D.
                long d = 200;
                long offsetMicros = (r % 41 - 20) * 100; // request expiry from D-2ms to D+2ms
                nc.publish(a.getReplyTo(), ("-NAK {\"delay\": " + TimeUnit.MILLISECONDS.toNanos(d) + "}").getBytes(StandardCharsets.US_ASCII));
                pull(nc, next, inbox + ".r" + r + "b", 5, TimeUnit.MILLISECONDS.toMicros(d) + offsetMicros, true);
                List<Message> racing = collect(sub, 99, (int) d + 300);
                pull(nc, next, inbox + ".r" + r + "c", 5, 1000);
                List<Message> after = collect(sub, 99, 1300);
                List<String> seen = new ArrayList<>();
                boolean gotA = false, dupB = false, statusB = false;
                for (Message m : concat(racing, after)) {
                    if (m.isStatusMessage()) {
                        seen.add(tok(m) + ":" + m.getStatus().getCode());
                        if (tok(m).endsWith("b")) statusB = true;
                        continue;
                    }
                    NatsJetStreamMetaData meta = new NatsJetStreamMetaData((NatsMessage) m);
                    String body = new String(m.getData());
                    seen.add(tok(m) + ":" + body + "#" + meta.deliveredCount());
                    if (body.equals("A") && meta.deliveredCount() == 2) gotA = true;
                    if (body.equals("B")) dupB = true;
                }
                boolean aArrivedOnB = seen.stream().anyMatch(s -> s.contains("b:A#2"));
                if (dupB) dups++;
                if (!gotA) lost++;
                if (!statusB && !aArrivedOnB) lostStatus++;
                if (dupB || !gotA || (!statusB && !aArrivedOnB)) System.out.println("round " + r + " offset " + offsetMicros + "us: " + seen);
                jsm.deleteStream(stream);
            }
            System.out.println("rounds=" + rounds + " duplicateB(dc=1)=" + dups + " lostRedeliveryOfA=" + lost + " requestWithoutEndStatus=" + lostStatus);
        }
    }

    private static String tok(Message m) { return m.getSubject().substring(m.getSubject().lastIndexOf('.') + 1); }

    private static List<Message> concat(List<Message> a, List<Message> b) { List<Message> l = new ArrayList<>(a); l.addAll(b); return l; }

    private static void pull(Connection nc, String next, String reply, int batch, long expiresMs) {
        pull(nc, next, reply, batch, TimeUnit.MILLISECONDS.toMicros(expiresMs), true);
    }

    private static void pull(Connection nc, String next, String reply, int batch, long expiresMicros, boolean micros) {
        nc.publish(next, reply, ("{\"batch\":" + batch + ",\"expires\":" + TimeUnit.MICROSECONDS.toNanos(expiresMicros) + "}").getBytes(StandardCharsets.US_ASCII));
    }

    private static List<Message> collect(Subscription sub, int max, int ms) throws InterruptedException {
        List<Message> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + ms;
        while (out.size() < max) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) break;
            Message m = sub.nextMessage(Duration.ofMillis(left));
            if (m == null) break;
            out.add(m);
        }
        return out;
    }
}
