package io.courier.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/** Raw AWS SDK v2: SendMessageBatch of up to 10 (base64 bodies), long-poll receive of 10, DeleteMessageBatch. */
final class SqsRawDriver implements BenchDriver {
    private record Pending(byte[] payload, CompletableFuture<Void> done) {}

    private final String endpoint;
    private final String region;
    private SqsClient sqs;
    private String queueUrl;
    private final LinkedBlockingQueue<Pending> outbox = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    SqsRawDriver(String endpoint, String region) {
        this.endpoint = endpoint;
        this.region = region;
    }

    @Override
    public void setUp(String destination) {
        sqs = SqsClient.builder().endpointOverride(URI.create(endpoint)).region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        queueUrl = sqs.createQueue(b -> b.queueName(destination.replace('.', '_'))).queueUrl();
        for (int i = 0; i < 4; i++) threads.add(Thread.ofPlatform().name("sqs-raw-sender").start(this::sendLoop));
    }

    private void sendLoop() {
        List<Pending> batch = new ArrayList<>(10);
        while (running || !outbox.isEmpty()) {
            try {
                Pending first = outbox.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.add(first);
                outbox.drainTo(batch, 9);
                List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i))
                            .messageBody(Base64.getEncoder().encodeToString(batch.get(i).payload())).build());
                }
                SendMessageBatchResponse r = sqs.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(entries));
                r.successful().forEach(s -> batch.get(Integer.parseInt(s.id())).done().complete(null));
                r.failed().forEach(f -> batch.get(Integer.parseInt(f.id())).done().completeExceptionally(new IllegalStateException(f.message())));
            } catch (Exception e) {
                batch.forEach(p -> p.done().completeExceptionally(e));
            }
            batch.clear();
        }
    }

    @Override
    public CompletableFuture<Void> send(byte[] payload) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        outbox.add(new Pending(payload, f));
        return f;
    }

    @Override
    public void startConsumer(Sink sink) {
        threads.add(Thread.ofPlatform().name("sqs-raw-consumer").start(() -> {
            while (running) {
                var got = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
                if (got.isEmpty()) continue;
                List<DeleteMessageBatchRequestEntry> del = new ArrayList<>();
                for (int i = 0; i < got.size(); i++) {
                    sink.received(Base64.getDecoder().decode(got.get(i).body()));
                    del.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(i)).receiptHandle(got.get(i).receiptHandle()).build());
                }
                sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(del));
            }
        }));
    }

    @Override
    public void close() throws Exception {
        running = false;
        for (Thread t : threads) t.join(10_000);
        if (sqs != null) {
            try { sqs.deleteQueue(b -> b.queueUrl(queueUrl)); } catch (Exception ignored) { /* best effort */ }
            sqs.close();
        }
    }
}
