package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Kafka's cut tests through a URL: the fixture asks the broker's second listener which address it advertises and
 * puts the proxy there (before: every Kafka cut test was not-run through {@code ./courier conformance}). A fake
 * listener answers the Metadata request as a broker would.
 */
class KafkaProxiedListenerTest {

    /** A one-shot fake Kafka listener advertising {@code host:port} ({@code port} -1: its own); returns its own port. */
    static int fakeListener(String host, int port) throws Exception {
        ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            try (server; Socket s = server.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] req = new byte[in.readInt()];
                in.readFully(req);
                DataInputStream r = new DataInputStream(new java.io.ByteArrayInputStream(req));
                if (r.readShort() != 3 || r.readShort() != 4) return; // Metadata v4 only
                int correlation = r.readInt();
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                DataOutputStream b = new DataOutputStream(body);
                b.writeInt(correlation);
                b.writeInt(0); // throttle
                b.writeInt(1); // one broker
                b.writeInt(1); // node id
                byte[] h = host.getBytes(StandardCharsets.UTF_8);
                b.writeShort(h.length);
                b.write(h);
                b.writeInt(port < 0 ? server.getLocalPort() : port);
                b.writeShort(-1); // rack
                b.writeShort(-1); // cluster id
                b.writeInt(1); // controller
                b.writeInt(0); // topics
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeInt(body.size());
                body.writeTo(out);
                out.flush();
            } catch (Exception ignored) {
                // the test sees the failure
            }
        });
        return server.getLocalPort();
    }

    @Test
    void theProxyListensOnThePortTheListenerAdvertisesAndForwardsToTheListener() throws Exception {
        int listener = fakeListener("127.0.0.1", 19555);
        UrlFixture fx = new UrlFixture("kafka://127.0.0.1:9092?linger=1ms", null, false, listener);
        assertEquals(new InetSocketAddress("127.0.0.1", listener), fx.brokerAddress());
        assertEquals(19555, fx.proxyPort());
        assertNull(fx.noProxyReason());
        assertEquals("kafka://127.0.0.1:19555?linger=1ms", fx.urlThrough(new InetSocketAddress("127.0.0.1", 19555)));
    }

    @Test
    void withoutTheListenerKafkaCutTestsAreNotRunAndSayWhatToGive() {
        UrlFixture fx = new UrlFixture("kafka://127.0.0.1:9092", null, false);
        assertNull(fx.urlThrough(new InetSocketAddress("127.0.0.1", 1)));
        assertTrue(fx.noProxyReason().contains("--kafka-proxy-listener PORT"), fx.noProxyReason());
    }

    @Test
    void aListenerThatAdvertisesItselfOrAnotherHostOrIsNoKafkaIsRefusedWithWhatToConfigure() throws Exception {
        IllegalArgumentException itself = assertThrows(IllegalArgumentException.class,
                () -> KafkaProxiedListener.discover("127.0.0.1", fakeListener("127.0.0.1", -1)));
        assertTrue(itself.getMessage().contains("advertises its own port"), itself.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> KafkaProxiedListener.discover("127.0.0.1", fakeListener("kafka-1.internal", 19094)));
        assertTrue(other.getMessage().contains("advertises kafka-1.internal:19094") && other.getMessage().contains("127.0.0.1"), other.getMessage());
        try (ServerSocket closed = new ServerSocket(0)) {
            int port = closed.getLocalPort();
            closed.close();
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> KafkaProxiedListener.discover("127.0.0.1", port));
            assertTrue(none.getMessage().contains("no Kafka listener answered") && none.getMessage().contains("advertised.listeners="), none.getMessage());
        }
        IllegalArgumentException notKafka = assertThrows(IllegalArgumentException.class,
                () -> new UrlFixture("nats://127.0.0.1:4222", null, false, 9094));
        assertTrue(notKafka.getMessage().contains("for kafka:// URLs"), notKafka.getMessage());
    }
}
