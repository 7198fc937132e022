package io.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The API boundary as compiled into module-info: only the facade and the SPI are exported to everyone. */
class ModuleBoundaryTest {
    @Test
    void onlyTheFacadeAndTheSpiAreApi() throws Exception {
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(Path.of("target/classes/module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        Set<String> api = new TreeSet<>();
        Map<String, Set<String>> friends = new TreeMap<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            if (e.isQualified()) friends.put(e.source(), new TreeSet<>(e.targets()));
            else api.add(e.source());
        }
        assertEquals("io.courier", d.name());
        assertEquals(Set.of("io.courier", "io.courier.spi", "io.courier.spi.support"), api);
        assertEquals(Map.of("io.courier.mem", Set.of("io.courier.conformance", "io.courier.http", "io.courier.sim"),
                "io.courier.runtime", Set.of("io.courier.http", "io.courier.sim")), friends);
    }
}
