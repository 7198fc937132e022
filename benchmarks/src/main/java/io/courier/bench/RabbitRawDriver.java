package io.courier.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Raw amqp-client with Courier's durability: a quorum queue (Courier's RabbitMQ transport uses quorum queues), persistent
 * messages, async publisher confirms, basicQos(500), ack per message.
 */
final class RabbitRawDriver implements BenchDriver {
    private final String uri;
    private Connection connection;
    private Channel publish;
    private Channel consume;
    private String queue;
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> unconfirmed = new ConcurrentSkipListMap<>();

    RabbitRawDriver(String uri) { this.uri = uri; }

    @Override
    public void setUp(String destination) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri);
        connection = f.newConnection("bench-raw");
        publish = connection.createChannel();
        queue = destination;
        publish.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "quorum"));
        publish.confirmSelect();
        publish.addConfirmListener((seq, multiple) -> settle(seq, multiple, null),
                (seq, multiple) -> settle(seq, multiple, new IllegalStateException("nacked by the broker")));
    }

    private void settle(long seq, boolean multiple, Exception e) {
        ConcurrentNavigableMap<Long, CompletableFuture<Void>> done = multiple ? unconfirmed.headMap(seq, true) : unconfirmed.subMap(seq, true, seq, true);
        done.values().forEach(f -> { if (e == null) f.complete(null); else f.completeExceptionally(e); });
        done.clear();
    }

    @Override
    public synchronized CompletableFuture<Void> send(byte[] payload) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        try {
            unconfirmed.put(publish.getNextPublishSeqNo(), f);
            publish.basicPublish("", queue, new AMQP.BasicProperties.Builder().deliveryMode(2).build(), payload);
        } catch (Exception e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    @Override
    public void startConsumer(Sink sink) throws Exception {
        consume = connection.createChannel();
        consume.basicQos(500);
        consume.basicConsume(queue, false, (tag, d) -> {
            sink.received(d.getBody());
            consume.basicAck(d.getEnvelope().getDeliveryTag(), false);
        }, tag -> {});
    }

    @Override
    public void close() throws Exception {
        if (connection != null) {
            try { publish.queueDelete(queue); } catch (Exception ignored) { /* best effort */ }
            connection.close();
        }
    }
}
