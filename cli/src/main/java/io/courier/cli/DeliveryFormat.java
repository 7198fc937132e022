package io.courier.cli;

import io.courier.Message;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * How {@code tail} and {@code dlq show} print a message: id, attempt, destination, key, headers and the payload, as
 * text when it is valid UTF-8 without control characters other than tab and line breaks, otherwise as base64.
 */
final class DeliveryFormat {
    private DeliveryFormat() {}

    /** The payload as text, or null when it is not printable UTF-8 text. */
    static String text(byte[] payload) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload)).toString();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) return null;
            }
            return s;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A block of lines: {@code id attempt=… destination key=…}, one indented line per header, then the payload. */
    static String block(Message m, int attempt) {
        StringBuilder b = new StringBuilder(m.id()).append("  attempt=").append(attempt).append("  ").append(m.destination());
        if (m.orderingKey() != null) b.append("  key=").append(m.orderingKey());
        if (m.notBefore() != null) b.append("  not-before=").append(m.notBefore());
        b.append('\n');
        for (Map.Entry<String, String> h : m.headers().entrySet()) b.append("  ").append(h.getKey()).append(": ").append(h.getValue()).append('\n');
        String text = text(m.payload());
        b.append("  payload (").append(m.payload().length).append(" bytes, ").append(text == null ? "base64" : "text").append("): ");
        b.append(text == null ? Base64.getEncoder().encodeToString(m.payload()) : text.replace("\n", "\n    ")).append('\n');
        return b.toString();
    }

    /** One JSON object: id, attempt, destination, key, notBefore, headers, payload and payloadEncoding (text or base64). */
    static JsonLine json(Message m, int attempt) {
        String text = text(m.payload());
        return new JsonLine().field("id", m.id()).field("attempt", attempt).field("destination", m.destination().toString())
                .field("key", m.orderingKey()).field("notBefore", m.notBefore() == null ? null : m.notBefore().toString())
                .field("headers", m.headers()).field("bytes", m.payload().length)
                .field("payload", text == null ? Base64.getEncoder().encodeToString(m.payload()) : text)
                .field("payloadEncoding", text == null ? "base64" : "text");
    }

    /** The block, or the JSON object and a line break, as {@code --json} asks. */
    static String render(Message m, int attempt, boolean json) { return json ? json(m, attempt) + "\n" : block(m, attempt); }
}
