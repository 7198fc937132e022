package io.courier.http;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance suite on push mode ({@code http://hub?push=http://127.0.0.1:0/}: every receiver is a push endpoint
 * on a free port), against a hub in a child JVM that is killed with SIGKILL on restarts; part of the http lane
 * ({@code scripts/test http}).
 */
class PushConformanceTest extends ConformanceSuite {
    private HubFixture hub;

    @Override
    protected TransportFixture fixture() {
        hub = new HubFixture("push-conformance");
        return new TransportFixture() {
            @Override public String name() { return "http-push"; }
            @Override public String url() { return hub.url() + "?push=http://127.0.0.1:0/"; }
            @Override public InetSocketAddress brokerAddress() { return hub.brokerAddress(); }
            @Override public String urlThrough(InetSocketAddress proxy) { return hub.urlThrough(proxy) + "?push=http://127.0.0.1:0/"; }
            @Override public boolean canRestart() { return true; }
            @Override public void restartBroker() throws Exception { hub.restartBroker(); }
            @Override public PlainSender plainSender() { return hub.plainSender(); }
            @Override public boolean inRepository() { return true; }
        };
    }

    @AfterAll
    void stopHub() { if (hub != null) hub.close(); }
}
