package io.courier.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.CourierException;
import io.courier.UnknownSchemeException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProvidersTest {
    /** Two providers of the test class path that both claim {@code dup-test://}. */
    public static class First implements TransportProvider {
        @Override public Set<String> schemes() { return Set.of("dup-test"); }
        @Override public String artifact() { return "com.example:first-transport"; }
        @Override public List<Parameter> parameters() { return List.of(); }
        @Override public Transport open(TransportUrl url) { throw new UnsupportedOperationException("never opened"); }
    }

    public static class Second extends First {
        @Override public String artifact() { return "com.example:second-transport"; }
    }

    @Test
    void c14_aSchemeClaimedByTwoProvidersIsAnErrorNamingBothArtifacts() {
        CourierException e = assertThrows(CourierException.class, () -> Courier.connect("dup-test://x"));
        assertTrue(e.getMessage().contains("com.example:first-transport") && e.getMessage().contains("com.example:second-transport"), e.getMessage());
        assertTrue(e.getMessage().contains("remove all but one"), e.getMessage());
    }

    @Test
    void c14_anUnknownSchemeNamesTheArtifactOfCouriersOwnTransports() {
        UnknownSchemeException e = assertThrows(UnknownSchemeException.class, () -> Courier.connect("sim://?seed=1"));
        assertTrue(e.getMessage().contains("io.courier:transport-sim"), e.getMessage());
        assertEquals(1, Providers.all().get("mem").size());
    }
}
