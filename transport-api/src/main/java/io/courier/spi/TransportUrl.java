package io.courier.spi;

import io.courier.InvalidUrlException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A parsed transport URL: {@code scheme://[user[:password]@]host[:port][,host[:port]…][/path][?name=value&…]}.
 * Several hosts are allowed (Kafka bootstrap lists). {@link #toString()} and {@link #redacted()} never show the
 * password. Typed accessors read declared {@link Parameter}s, falling back to their defaults.
 */
public final class TransportUrl {
    /** One host and port; port is -1 when absent. */
    public record HostPort(String host, int port) {
        @Override public String toString() { return port < 0 ? host : host + ":" + port; }
    }

    private final String raw;
    private final String scheme;
    private final String user;
    private final String password;
    private final List<HostPort> hosts;
    private final String path;
    private final Map<String, String> params;
    private Map<String, Parameter> declared = Map.of();

    private TransportUrl(String raw, String scheme, String user, String password, List<HostPort> hosts, String path,
                         Map<String, String> params) {
        this.raw = raw;
        this.scheme = scheme;
        this.user = user;
        this.password = password;
        this.hosts = hosts;
        this.path = path;
        this.params = params;
    }

    /**
     * Parses a URL. Throws {@link InvalidUrlException} with the problem and the expected form; the message shows the
     * URL with its password replaced by {@code ***}.
     */
    public static TransportUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new InvalidUrlException("empty transport URL: give one such as mem://, http://127.0.0.1:8080 or kafka://127.0.0.1:9092 (or set COURIER_URL)");
        }
        String text = url.trim();
        int colon = text.indexOf("://");
        if (colon <= 0) {
            throw new InvalidUrlException("malformed transport URL '" + redact(text) + "': expected scheme://host:port, e.g. kafka://127.0.0.1:9092");
        }
        String scheme = text.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!scheme.matches("[a-z][a-z0-9+.-]*")) {
            throw new InvalidUrlException("malformed transport URL '" + redact(text) + "': invalid scheme '" + scheme + "'");
        }
        String rest = text.substring(colon + 3);
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) { query = rest.substring(q + 1); rest = rest.substring(0, q); }
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) { path = rest.substring(slash); rest = rest.substring(0, slash); }
        String user = null, password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String info = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int c = info.indexOf(':');
            user = decode(c < 0 ? info : info.substring(0, c));
            password = c < 0 ? null : decode(info.substring(c + 1));
        }
        List<HostPort> hosts = new ArrayList<>();
        if (!rest.isEmpty()) {
            for (String hp : rest.split(",", -1)) hosts.add(parseHostPort(text, hp));
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (params.put(name, value) != null) {
                    throw new InvalidUrlException("parameter '" + name + "' is given twice in '" + redact(text) + "': give it once");
                }
            }
        }
        return new TransportUrl(text, scheme, user, password, List.copyOf(hosts), path, Collections.unmodifiableMap(params));
    }

    private static HostPort parseHostPort(String url, String hp) {
        if (hp.isEmpty()) throw new InvalidUrlException("malformed transport URL '" + redact(url) + "': empty host in the host list");
        String host;
        String port = null;
        if (hp.startsWith("[")) {
            int end = hp.indexOf(']');
            if (end < 0) throw new InvalidUrlException("malformed transport URL '" + redact(url) + "': unclosed '[' in IPv6 host '" + hp + "'; write [::1]:port");
            host = hp.substring(0, end + 1);
            String after = hp.substring(end + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) throw new InvalidUrlException("malformed transport URL '" + redact(url) + "': unexpected '" + after + "' after host " + host);
                port = after.substring(1);
            }
        } else {
            int c = hp.lastIndexOf(':');
            host = c < 0 ? hp : hp.substring(0, c);
            port = c < 0 ? null : hp.substring(c + 1);
            if (!host.matches("[A-Za-z0-9._-]*")) {
                throw new InvalidUrlException("malformed transport URL '" + redact(url) + "': invalid host '" + host + "'");
            }
        }
        int p = -1;
        if (port != null) {
            try { p = Integer.parseInt(port); } catch (NumberFormatException e) { p = -2; }
            if (p < 1 || p > 65535) {
                throw new InvalidUrlException("invalid port '" + port + "' in transport URL '" + redact(url) + "': use a port from 1 to 65535"
                        + (host.isEmpty() ? " after a host, e.g. 127.0.0.1:9092" : ""));
            }
        }
        if (host.isEmpty()) {
            throw new InvalidUrlException("malformed transport URL '" + redact(url) + "': missing host before ':" + port + "'; write host:port, e.g. 127.0.0.1:" + port);
        }
        return new HostPort(host, p);
    }

    private static String decode(String s) { return URLDecoder.decode(s, StandardCharsets.UTF_8); }

    /**
     * Replaces a password in a URL text, and the value of a {@code token}, {@code password} or {@code secret} query
     * parameter, with {@code ***}; safe to call on anything, even malformed input.
     */
    public static String redact(String url) {
        if (url == null) return null;
        return url.replaceAll("(://[^/@:?]*):[^/@?]*@", "$1:***@")
                .replaceAll("(?i)([?&](?:token|password|secret)=)[^&]*", "$1***");
    }

    /**
     * Checks every given parameter against the declared ones: unknown names and invalid values are refused with a
     * message that lists the valid parameters. Called by the facade before the provider opens the transport.
     */
    public TransportUrl validate(List<Parameter> allowed) {
        Map<String, Parameter> byName = new LinkedHashMap<>();
        for (Parameter p : allowed) byName.put(p.name(), p);
        for (Map.Entry<String, String> e : params.entrySet()) {
            Parameter p = byName.get(e.getKey());
            if (p == null) {
                throw new InvalidUrlException("unknown parameter '" + e.getKey() + "' for " + scheme + "://" +
                        (byName.isEmpty() ? ": this transport takes no parameters"
                                : ": valid ones are " + String.join(", ", byName.keySet())));
            }
            p.validate(e.getValue());
        }
        this.declared = byName;
        return this;
    }

    public String scheme() { return scheme; }

    /** The user name, or null. */
    public String user() { return user; }

    /** The password, or null. Never log it. */
    public String password() { return password; }

    public List<HostPort> hosts() { return hosts; }

    /** The path including its leading slash, or the empty string. */
    public String path() { return path; }

    /** Raw query parameters as given. */
    public Map<String, String> params() { return params; }

    /** A parameter's value, or its declared default (null when neither). */
    public String param(String name) {
        String v = params.get(name);
        if (v != null) return v;
        Parameter p = declared.get(name);
        return p == null ? null : p.defaultValue();
    }

    public int intParam(String name) { return Integer.parseInt(param(name)); }

    public long longParam(String name) { return Long.parseLong(param(name)); }

    public double doubleParam(String name) { return Double.parseDouble(param(name)); }

    public boolean boolParam(String name) { return Boolean.parseBoolean(param(name)); }

    public Duration durationParam(String name) { return Parameter.parseDuration(param(name)); }

    /** {@code host:port,host:port} of all hosts, with {@code defaultPort} where a host has none. */
    public String hostList(int defaultPort) {
        return hosts.stream().map(h -> h.host() + ":" + (h.port() < 0 ? defaultPort : h.port())).collect(Collectors.joining(","));
    }

    /** The URL as given, with the password replaced by {@code ***}. */
    public String redacted() { return redact(raw); }

    @Override
    public String toString() { return redacted(); }
}
