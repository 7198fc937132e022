package io.courier.nats;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * NATS header values are printable ASCII. Courier header values are any string, so a value that is not plain
 * printable ASCII (or that has leading or trailing blanks, which NATS may trim) travels as an RFC 2047 encoded word,
 * {@code =?utf-8?b?<base64 of the UTF-8 bytes>?=}, and is decoded on receipt. Plain values travel unchanged, so
 * other NATS clients read them as they are.
 */
final class HeaderValues {
    private static final String OPEN = "=?utf-8?b?";
    private static final String CLOSE = "?=";

    private HeaderValues() {}

    static String encode(String value) {
        if (isPlain(value)) return value;
        return OPEN + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + CLOSE;
    }

    static String decode(String value) {
        if (value.startsWith(OPEN) && value.endsWith(CLOSE) && value.length() >= OPEN.length() + CLOSE.length()) {
            try {
                return new String(Base64.getDecoder().decode(value.substring(OPEN.length(), value.length() - CLOSE.length())), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notEncoded) {
                return value;
            }
        }
        return value;
    }

    private static boolean isPlain(String v) {
        if (v.startsWith(OPEN)) return false;
        if (!v.isEmpty() && (v.charAt(0) == ' ' || v.charAt(v.length() - 1) == ' ')) return false;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c > 0x7e) return false;
        }
        return true;
    }
}
