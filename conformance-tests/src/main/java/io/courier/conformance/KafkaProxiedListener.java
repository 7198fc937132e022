package io.courier.conformance;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A Kafka listener that a broker advertises as the address of the suite's TCP proxy, for the connection-cut tests
 * through a URL ({@code ./courier conformance kafka://… --kafka-proxy-listener PORT}). A Kafka client asks its
 * bootstrap address for the broker's advertised listeners and then connects to those, so a proxy in front of the
 * bootstrap address alone would cut nothing; a second listener (e.g. {@code PROXIED://127.0.0.1:9094}, advertised as
 * {@code PROXIED://127.0.0.1:19094}, as {@code scripts/brokers} configures it) keeps every connection of a client
 * bootstrapped through the proxy on the proxy, which listens on the advertised port and forwards to the listener.
 *
 * <p>The advertised address is asked of the listener itself: one Kafka {@code Metadata} request (version 4, which
 * Kafka 1.0 to 4.x answer) on a plain socket, no client library.
 */
public record KafkaProxiedListener(InetSocketAddress listener, InetSocketAddress advertised) {

    /** Asks the listener at {@code host:port} which address it advertises; fails with a message that says what to configure. */
    public static KafkaProxiedListener discover(String host, int port) {
        InetSocketAddress listener = new InetSocketAddress(host, port);
        InetSocketAddress advertised;
        try {
            advertised = askAdvertised(listener);
        } catch (IOException e) {
            throw new IllegalArgumentException("--kafka-proxy-listener " + port + ": no Kafka listener answered a metadata request at "
                    + host + ":" + port + " (" + e + "); give the port of a second listener of the broker that advertises 127.0.0.1:<another port>, e.g. "
                    + "listeners=…,PROXIED://" + host + ":" + port + " and advertised.listeners=…,PROXIED://127.0.0.1:" + other(port), e);
        }
        String h = advertised.getHostString();
        if (!(h.equals("127.0.0.1") || h.equals("localhost"))) {
            throw new IllegalArgumentException("--kafka-proxy-listener " + port + ": the listener advertises " + h + ":" + advertised.getPort()
                    + ", but the suite's TCP proxy listens on 127.0.0.1: advertise it as 127.0.0.1:<port> (e.g. PROXIED://127.0.0.1:" + other(port) + ")");
        }
        if (advertised.getPort() == port) {
            throw new IllegalArgumentException("--kafka-proxy-listener " + port + ": the listener advertises its own port " + port
                    + ", so clients would connect to the broker directly: advertise another port, where the suite's proxy listens (e.g. PROXIED://127.0.0.1:" + other(port) + ")");
        }
        return new KafkaProxiedListener(listener, new InetSocketAddress("127.0.0.1", advertised.getPort()));
    }

    /** A port to suggest for advertising: scripts/brokers' convention (9094 → 19094) where it fits. */
    private static String other(int port) { return port + 10_000 <= 65_535 ? Integer.toString(port + 10_000) : "<another port>"; }

    /** The first broker of a Metadata v4 response from {@code listener} (a single-node cluster has one). */
    static InetSocketAddress askAdvertised(InetSocketAddress listener) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(listener, 5_000);
            s.setSoTimeout(10_000);
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            DataOutputStream r = new DataOutputStream(req);
            r.writeShort(3); // api key: Metadata
            r.writeShort(4); // api version
            r.writeInt(1); // correlation id
            byte[] client = "courier-conformance".getBytes(StandardCharsets.UTF_8);
            r.writeShort(client.length);
            r.write(client);
            r.writeInt(0); // topics: none (only the brokers are wanted)
            r.writeBoolean(false); // allow_auto_topic_creation
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(req.size());
            req.writeTo(out);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int size = in.readInt();
            if (size < 16 || size > 1 << 20) throw new IOException("not a Kafka metadata response (size " + size + ")");
            if (in.readInt() != 1) throw new IOException("not a Kafka metadata response (correlation id)");
            in.readInt(); // throttle_time_ms
            int brokers = in.readInt();
            if (brokers < 1) throw new IOException("the metadata response names no broker");
            in.readInt(); // node_id
            byte[] host = new byte[in.readShort()];
            in.readFully(host);
            int port = in.readInt();
            return InetSocketAddress.createUnresolved(new String(host, StandardCharsets.UTF_8), port);
        }
    }
}
