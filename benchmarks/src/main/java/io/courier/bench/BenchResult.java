package io.courier.bench;

/** One measured run of one client on one transport; written as one JSON line. */
public record BenchResult(String transport, String client, int n, int sizeBytes, double produceMsgPerSec, double e2eMsgPerSec,
                          double p50Ms, double p90Ms, double p99Ms, double p999Ms, double maxMs, double rateAchieved,
                          long lost, long duplicates, double cpuUsPerMsg, double allocKiBPerMsg, int run, String date, String error) {

    public boolean ok() { return error == null && lost == 0; }

    /** The figures of one client's throughput and latency measurements. */
    static BenchResult of(String transport, String client, int n, int size, Workload.Throughput tp, Workload.Latency lat, int run, String date) {
        org.HdrHistogram.Histogram h = lat.histogram();
        return new BenchResult(transport, client, n, size, tp.produceMsgPerSec(), tp.e2eMsgPerSec(), ms(h, 50), ms(h, 90), ms(h, 99),
                ms(h, 99.9), h.getMaxValue() / 1e6, lat.achievedRate(), tp.lost() + lat.lost(), tp.duplicates(), tp.cpuUsPerMsg(), tp.allocKiBPerMsg(),
                run, date, null);
    }

    private static double ms(org.HdrHistogram.Histogram h, double pct) { return h.getValueAtPercentile(pct) / 1e6; }
}
