package io.courier.cli;

import io.courier.spi.Providers;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;

/** Checks a transport URL before anything slow happens: syntax, scheme on the class path, declared parameters. */
final class TransportUrls {
    private TransportUrls() {}

    /**
     * Parses and validates {@code url} without connecting.
     *
     * @throws io.courier.InvalidUrlException    malformed URL or unknown/invalid parameter
     * @throws io.courier.UnknownSchemeException no transport for the scheme on the class path
     */
    static TransportUrl check(String url) {
        TransportUrl parsed = TransportUrl.parse(url);
        TransportProvider provider = Providers.forScheme(parsed.scheme());
        return parsed.validate(provider.parameters());
    }
}
