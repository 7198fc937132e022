package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Destination;
import io.courier.InvalidMessageException;
import io.courier.InvalidUrlException;
import io.courier.Message;
import io.courier.UnknownSchemeException;
import org.junit.jupiter.api.Test;

/**
 * C14 errors: bad input gets a typed error that names the problem, never a credential.
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class ErrorClauses extends FlowClauses {
    // =====================================================================================================
    // C14 errors
    // =====================================================================================================

    @Test
    @Clause("C14")
    public void c14_badUrlsGetTypedErrorsNamingTheProblem() {
        String scheme = io.courier.spi.TransportUrl.parse(fx.url()).scheme();
        UnknownSchemeException u = assertThrows(UnknownSchemeException.class, () -> fx.connect("nosuch://x"));
        assertTrue(u.getMessage().contains(scheme + "://"), "unknown-scheme error should list the known schemes: " + u.getMessage());
        String withParam = fx.url() + (fx.url().contains("?") ? "&" : "?") + "no-such-parameter=1";
        InvalidUrlException p = assertThrows(InvalidUrlException.class, () -> fx.connect(withParam));
        assertTrue(p.getMessage().contains("no-such-parameter"), p.getMessage());
        InvalidUrlException port = assertThrows(InvalidUrlException.class, () -> fx.connect(scheme + "://127.0.0.1:99999"));
        assertTrue(port.getMessage().contains("99999"), port.getMessage());
        InvalidUrlException secret = assertThrows(InvalidUrlException.class, () -> fx.connect(scheme + "://user:s3cr3t-pw@127.0.0.1:1?no-such-parameter=1"));
        assertFalse(secret.getMessage().contains("s3cr3t-pw"), "an error message shows the password: " + secret.getMessage());
    }

    @Test
    @Clause("C14")
    public void c14_invalidHeaderNamesAndDestinationsAreRefused() {
        assertThrows(InvalidMessageException.class, () -> Message.to("any@g").header("bad name!", "x"));
        assertThrows(InvalidMessageException.class, () -> Message.to("any@g").header("", "x"));
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> Destination.parse("any@bad group"));
        assertTrue(d.getMessage().contains("bad group"), d.getMessage());
    }
}
