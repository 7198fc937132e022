package io.courier.bench;

import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A Courier hub on a free port with its journal in a fresh temporary directory, deleted on close. */
final class EmbeddedHub implements AutoCloseable {
    private final Path data;
    private final CourierHub hub;

    private EmbeddedHub(Path data, CourierHub hub) {
        this.data = data;
        this.hub = hub;
    }

    static EmbeddedHub start() throws IOException {
        Path data = Files.createTempDirectory("courier-bench-hub");
        return new EmbeddedHub(data, CourierHub.start(HubOptions.defaults(0, data)));
    }

    String url() { return hub.url(); }

    @Override
    public void close() {
        hub.close();
        try (Stream<Path> files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
