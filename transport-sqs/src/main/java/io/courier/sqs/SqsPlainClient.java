package io.courier.sqs;

import io.courier.spi.TransportUrl;
import io.courier.spi.support.PlainClient;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * A plain AWS SDK {@code SendMessage}, as any SQS application would make it: the payload as a text body, each header
 * as a {@code String} message attribute, to the group's queue ({@link QueueNames}, the URL's {@code queue-prefix};
 * {@code GetQueueUrl} by name). The URL's endpoint, region and credentials apply.
 */
public final class SqsPlainClient implements PlainClient {
    @Override public Set<String> schemes() { return Set.of("sqs"); }

    @Override
    public void send(String url, String group, byte[] payload, Map<String, String> headers) throws Exception {
        SqsSettings s = new SqsSettings(TransportUrl.parse(url).validate(new SqsProvider().parameters()));
        try (SqsClient sqs = s.client()) {
            String queue = sqs.getQueueUrl(b -> b.queueName(new QueueNames(s.queuePrefix).group(group))).queueUrl();
            Map<String, MessageAttributeValue> attrs = new HashMap<>();
            headers.forEach((k, v) -> attrs.put(k, MessageAttributeValue.builder().dataType("String").stringValue(v).build()));
            sqs.sendMessage(b -> b.queueUrl(queue).messageBody(new String(payload, StandardCharsets.UTF_8)).messageAttributes(attrs));
        }
    }
}
