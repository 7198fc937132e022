package io.courier.http.hub;

import java.io.IOException;
import java.io.OutputStream;

/** Writes to both streams: the test's log and a copy the test reads (tests that assert what the hub logged). */
final class TeeStream extends OutputStream {
    private final OutputStream a, b;

    TeeStream(OutputStream a, OutputStream b) { this.a = a; this.b = b; }

    @Override public synchronized void write(int x) throws IOException { a.write(x); b.write(x); }

    @Override public synchronized void write(byte[] x, int off, int len) throws IOException { a.write(x, off, len); b.write(x, off, len); }
}
