package io.courier.http;

import io.courier.InvalidUrlException;
import io.courier.spi.Parameter;
import io.courier.spi.TransportUrl;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The settings of an {@code http://} / {@code https://} transport, read from its URL. The bearer token is the URL's
 * password ({@code http://courier:TOKEN@host:port}, kept out of logs) or the {@code token} parameter.
 */
final class HttpSettings {
    static final List<Parameter> ALL = List.of(
            Parameter.of("token", Parameter.Kind.STRING, null, "bearer token of the hub (or give it as the URL's password)"),
            Parameter.of("retry-for", Parameter.Kind.DURATION, "30s", "how long a request is retried while the hub is unreachable before TransportUnavailableException"),
            Parameter.of("connect-timeout", Parameter.Kind.DURATION, "5s", "TCP connect timeout per attempt"),
            Parameter.of("senders", Parameter.Kind.INT, "4", "send requests in flight at once (queued sends are merged into them)"),
            Parameter.of("push", Parameter.Kind.STRING, null, "receive by push instead of long poll: the worker serves this URL (http://HOST:PORT/) and the hub posts deliveries to it"));

    final TransportUrl url;
    final URI base;
    final String hostPort;
    final String token;
    final Duration retryFor;
    final Duration connectTimeout;
    final int senders;
    final String push;

    HttpSettings(TransportUrl url) {
        this.url = url;
        if (url.hosts().size() != 1) {
            throw new InvalidUrlException("an http:// transport URL names exactly one hub, e.g. http://127.0.0.1:8080; got " + url.redacted());
        }
        TransportUrl.HostPort hp = url.hosts().get(0);
        int port = hp.port() < 0 ? (url.scheme().equals("https") ? 443 : 80) : hp.port();
        this.hostPort = hp.host() + ":" + port;
        this.base = URI.create(url.scheme() + "://" + hostPort + (url.path().endsWith("/") ? url.path().substring(0, url.path().length() - 1) : url.path()));
        String t = url.password() != null ? url.password() : url.param("token");
        this.token = t == null || t.isEmpty() ? null : t;
        this.retryFor = url.durationParam("retry-for");
        this.connectTimeout = url.durationParam("connect-timeout");
        this.senders = url.intParam("senders");
        String p = url.param("push");
        this.push = p == null || p.isEmpty() ? null : p;
        if (senders < 1 || senders > 64) throw new InvalidUrlException("invalid value '" + senders + "' for parameter 'senders': give 1 to 64");
    }

    URI uri(String path) { return URI.create(base + path); }
}
