package io.courier.http.hub;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads fields of a JSON request, refusing a wrong type or range with a 400 that names the field. */
final class Fields {
    private Fields() {}

    static JsonNode object(JsonNode parent, String name, String path) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) return null;
        if (!n.isObject()) throw ApiError.badRequest("field '" + path + "' must be a JSON object");
        return n;
    }

    static JsonNode array(JsonNode parent, String name, String path, boolean required) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            if (required) throw ApiError.badRequest("field '" + path + "' is missing: give a JSON array");
            return null;
        }
        if (!n.isArray()) throw ApiError.badRequest("field '" + path + "' must be a JSON array");
        return n;
    }

    static String string(JsonNode parent, String name, String path, boolean required) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            if (required) throw ApiError.badRequest("field '" + path + "' is missing: give a string");
            return null;
        }
        if (!n.isTextual()) throw ApiError.badRequest("field '" + path + "' must be a string");
        return n.textValue();
    }

    static long number(JsonNode parent, String name, String path, long dflt, long min, long max) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) return dflt;
        if (!n.canConvertToLong() || !n.isIntegralNumber()) throw ApiError.badRequest("field '" + path + "' must be a whole number");
        long v = n.longValue();
        if (v < min || v > max) throw ApiError.badRequest("field '" + path + "' is " + v + ": give " + min + " to " + max);
        return v;
    }

    /** A lease id: a string, or an object with a {@code lease} field. */
    static String lease(JsonNode n, String path) {
        if (n.isTextual()) return n.textValue();
        if (n.isObject()) return string(n, "lease", path + ".lease", true);
        throw ApiError.badRequest("field '" + path + "' must be a lease id string");
    }
}
