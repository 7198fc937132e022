package io.courier.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.spi.TransportUrl;
import io.courier.spi.support.PlainClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * A hub's plain client: one JSON {@code POST /v1/send} with the JDK's {@link HttpClient}, as a worker in any language
 * would send (transport-http's README, HTTP API), with the URL's bearer token; no Courier code, no Courier header.
 */
public final class HubPlainClient implements PlainClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override public Set<String> schemes() { return Set.of("http", "https"); }

    @Override
    public void send(String url, String group, byte[] payload, Map<String, String> headers) throws Exception {
        HttpSettings s = new HttpSettings(TransportUrl.parse(url).validate(new HttpProvider().parameters()));
        ObjectNode m = JSON.createObjectNode().put("destination", "any@" + group).put("payload", Base64.getEncoder().encodeToString(payload));
        headers.forEach(m.putObject("headers")::put);
        ObjectNode body = JSON.createObjectNode();
        body.putArray("messages").add(m);
        HttpRequest.Builder req = HttpRequest.newBuilder(s.uri("/v1/send")).POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (s.token != null) req.header("Authorization", "Bearer " + s.token);
        HttpResponse<String> r;
        try (HttpClient http = HttpClient.newHttpClient()) {
            r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        }
        if (r.statusCode() != 200) throw new IllegalStateException("plain POST /v1/send answered " + r.statusCode() + ": " + r.body());
    }
}
