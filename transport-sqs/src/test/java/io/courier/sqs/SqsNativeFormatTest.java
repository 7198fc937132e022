package io.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * What Courier writes to SQS is readable without Courier (issue 15, defect 5): a text payload is the body itself, a
 * user header is a native message attribute while SQS's 10 fit (traceparent first), and only the rest is packed
 * into {@code courier-headers}; read back by a plain AWS SDK client, and by Courier intact.
 */
class SqsNativeFormatTest {

    @Test
    void textBodiesAndHeadersAreNativeWhileTheyFit() throws Exception {
        SqsFixture.requireBroker();
        String group = "nat-" + Long.toHexString(System.nanoTime());
        Map<String, String> few = new LinkedHashMap<>();
        few.put("x-tenant", "acme");
        few.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        try (Courier courier = Courier.connect(new SqsFixture().url()); SqsClient sqs = SqsFixture.plainClient()) {
            courier.send(Message.to("any@" + group).id("text-1").payload("héllo ✓").headers(few).build()).get(30, TimeUnit.SECONDS);
            software.amazon.awssdk.services.sqs.model.Message raw = receiveRaw(sqs, group);
            assertEquals("héllo ✓", raw.body(), "a text payload is the body itself, not base64");
            Map<String, MessageAttributeValue> attrs = raw.messageAttributes();
            assertNull(attrs.get("courier-encoding"), "no encoding marker on a text body: " + attrs.keySet());
            assertEquals(few.get("traceparent"), attrs.get("traceparent").stringValue(), "traceparent is a native attribute");
            assertEquals("acme", attrs.get("x-tenant").stringValue());
            assertNull(attrs.get("courier-headers"), "nothing packed while the headers fit: " + attrs.keySet());
        }
    }

    @Test
    void beyondTenAttributesTheRestIsPackedAndEveryHeaderArrives() throws Exception {
        SqsFixture.requireBroker();
        String group = "nat-" + Long.toHexString(System.nanoTime());
        Map<String, String> many = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) many.put("h" + i, "v" + i);
        many.put("h-empty", "");
        many.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        byte[] binary = {0, (byte) 0xff, (byte) 0xfe, 1};
        try (Courier courier = Courier.connect(new SqsFixture().url()); SqsClient sqs = SqsFixture.plainClient()) {
            courier.send(Message.to("any@" + group).id("many-1").payload(binary).headers(many).build()).get(30, TimeUnit.SECONDS);
            software.amazon.awssdk.services.sqs.model.Message raw = receiveRaw(sqs, group);
            Map<String, MessageAttributeValue> attrs = raw.messageAttributes();
            assertEquals(10, attrs.size(), "as many native attributes as SQS allows (10): " + attrs.keySet());
            assertTrue(attrs.containsKey("traceparent"), "traceparent goes native first: " + attrs.keySet());
            assertEquals("base64", attrs.get("courier-encoding").stringValue(), "a binary payload is base64, marked");
            assertTrue(attrs.containsKey("courier-headers"), "the rest is packed");
            // the message is still in the queue (visibility 1 s): Courier reads every header and the payload back
            LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();
            courier.subscribe(SubscriptionOptions.group(group).build(), d -> got.add(d.message()));
            Message m = got.poll(60, TimeUnit.SECONDS);
            assertFalse(m == null, "Courier did not receive its own message");
            assertEquals(many, m.headers());
            assertArrayEquals(binary, m.payload());
        }
    }

    private static software.amazon.awssdk.services.sqs.model.Message receiveRaw(SqsClient sqs, String group) {
        String url = sqs.getQueueUrl(b -> b.queueName(new QueueNames("courier-").group(group))).queueUrl();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            var r = sqs.receiveMessage(b -> b.queueUrl(url).messageAttributeNames("All").visibilityTimeout(1).waitTimeSeconds(2));
            if (!r.messages().isEmpty()) return r.messages().get(0);
        }
        throw new AssertionError("nothing in " + url + " after 30 s");
    }
}
