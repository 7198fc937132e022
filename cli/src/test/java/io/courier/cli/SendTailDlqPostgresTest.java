package io.courier.cli;

/** send, tail and dlq on the real PostgreSQL (127.0.0.1:5432, trust auth, database test). */
class SendTailDlqPostgresTest extends SendTailDlqContract {
    @Override String url() { return "postgres://postgres@127.0.0.1:5432/test"; }

    @Override BrokerAddress broker() { return new BrokerAddress("postgres", "127.0.0.1", 5432); }
}
