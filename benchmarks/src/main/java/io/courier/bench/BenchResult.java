package io.courier.bench;

/** One measured run of one client on one transport; written as one JSON line. */
public record BenchResult(String transport, String client, int n, int sizeBytes, double produceMsgPerSec, double e2eMsgPerSec,
                          double p50Ms, double p90Ms, double p99Ms, double p999Ms, double maxMs, double rateAchieved,
                          long lost, long duplicates, double cpuUsPerMsg, double allocKiBPerMsg, int run, String date, String error) {

    public boolean ok() { return error == null && lost == 0; }
}
