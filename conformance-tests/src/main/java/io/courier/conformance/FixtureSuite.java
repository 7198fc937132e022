package io.courier.conformance;

/**
 * The suite on a fixture given at run time (by {@link ConformanceRunner}: a URL from the command line, or a broken
 * transport). Not found by test scanners: it lives in main sources.
 */
public class FixtureSuite extends ConformanceSuite {
    static volatile TransportFixture next;
    static volatile ConformanceReport last;
    static volatile boolean write;

    @Override
    protected TransportFixture fixture() { return next; }

    @Override
    protected boolean writesReport() { return write; }

    @Override
    protected void beforeReport(ConformanceReport r) { last = r; }
}
