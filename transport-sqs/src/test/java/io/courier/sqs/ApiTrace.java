package io.courier.sqs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequest;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * A test-only SDK interceptor (registered for every SQS client of the test class path through the SDK's
 * {@code execution.interceptors} resource) that counts HTTP attempts per API operation and, when the system property
 * {@code courier.sqs.trace} names a file, writes one line per call and message: which Courier ids a call carried, what
 * SQS answered (SQS message id, receive count, a short hash of the receipt handle). Never payloads or credentials.
 */
public final class ApiTrace implements ExecutionInterceptor {
    private static final Map<String, LongAdder> ATTEMPTS = new ConcurrentHashMap<>();
    private static final PrintWriter OUT = open(System.getProperty("courier.sqs.trace"));

    private static PrintWriter open(String file) {
        if (file == null || file.isBlank()) return null;
        try {
            return new PrintWriter(Files.newBufferedWriter(Path.of(file)), true);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the SQS trace to " + file, e);
        }
    }

    /** HTTP attempts per SQS operation so far (retries included: SQS bills each). */
    public static Map<String, Long> attempts() {
        Map<String, Long> m = new java.util.TreeMap<>();
        ATTEMPTS.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Forgets the counts. */
    public static void reset() { ATTEMPTS.clear(); }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        ATTEMPTS.computeIfAbsent(operation(context.request()), k -> new LongAdder()).increment();
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        if (OUT == null) return;
        long t = System.currentTimeMillis();
        SdkRequest req = context.request();
        switch (context.response()) {
            case SendMessageBatchResponse r -> {
                SendMessageBatchRequest q = (SendMessageBatchRequest) req;
                Map<String, String> ids = new java.util.HashMap<>();
                q.entries().forEach(e -> ids.put(e.id(), id(e.messageAttributes())));
                r.successful().forEach(s -> line(t, "SENT", q.queueUrl(), ids.get(s.id()), s.messageId(), ""));
                r.failed().forEach(f -> line(t, "SEND-FAILED", q.queueUrl(), ids.get(f.id()), "", f.code()));
            }
            case ReceiveMessageResponse r -> r.messages().forEach(m -> line(t, "RECEIVED", queue(req), id(m.messageAttributes()), m.messageId(),
                    m.attributesAsStrings().getOrDefault("ApproximateReceiveCount", "?") + " rh=" + hash(m.receiptHandle())));
            case DeleteMessageBatchResponse r -> {
                DeleteMessageBatchRequest q = (DeleteMessageBatchRequest) req;
                Map<String, String> rh = new java.util.HashMap<>();
                q.entries().forEach(e -> rh.put(e.id(), e.receiptHandle()));
                r.successful().forEach(s -> line(t, "DELETED", q.queueUrl(), "", "", "rh=" + hash(rh.get(s.id()))));
                r.failed().forEach(f -> line(t, "DELETE-FAILED", q.queueUrl(), "", "", "rh=" + hash(rh.get(f.id())) + " " + f.code()));
            }
            default -> { if (req instanceof ChangeMessageVisibilityBatchRequest q) q.entries().forEach(e ->
                    line(t, "VISIBILITY", q.queueUrl(), "", "", "rh=" + hash(e.receiptHandle()) + " " + e.visibilityTimeout())); }
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        if (OUT == null) return;
        long t = System.currentTimeMillis();
        String why = context.exception().getClass().getSimpleName() + ": " + String.valueOf(context.exception().getMessage()).lines().findFirst().orElse("");
        if (context.request() instanceof SendMessageBatchRequest q) {
            q.entries().forEach(e -> line(t, "SEND-ERROR", q.queueUrl(), id(e.messageAttributes()), "", why));
        } else if (context.request() instanceof DeleteMessageBatchRequest q) {
            q.entries().forEach(e -> line(t, "DELETE-ERROR", q.queueUrl(), "", "", "rh=" + hash(e.receiptHandle()) + " " + why));
        } else {
            line(t, "ERROR " + operation(context.request()), queue(context.request()), "", "", why);
        }
    }

    private static String operation(SdkRequest r) { return r.getClass().getSimpleName().replace("Request", ""); }

    private static String queue(SdkRequest r) { return r.getValueForField("QueueUrl", String.class).orElse(""); }

    private static String id(Map<String, MessageAttributeValue> attrs) {
        MessageAttributeValue v = attrs.get(io.courier.spi.support.WireHeaders.ID);
        return v == null ? "-" : v.stringValue();
    }

    private static String hash(String s) { return s == null ? "-" : Integer.toHexString(s.hashCode()); }

    private static void line(long t, String what, String queue, String id, String sqsId, String more) {
        String q = queue.substring(queue.lastIndexOf('/') + 1);
        synchronized (OUT) { OUT.println(t + " " + what + " " + q + " " + id + " " + sqsId + " " + more); }
    }
}
