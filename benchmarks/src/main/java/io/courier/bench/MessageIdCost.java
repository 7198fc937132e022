package io.courier.bench;

import io.courier.Message;
import java.util.Arrays;
import java.util.UUID;

/**
 * What a default message id costs: {@code UUID.randomUUID()} (what Courier used) against a message built without an
 * id minus one built with a given id (the id Courier makes now), ns per id on one thread, paired in alternating order,
 * medians of the runs. {@code java -cp … io.courier.bench.MessageIdCost [ids per run] [runs]}.
 */
public final class MessageIdCost {
    private MessageIdCost() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        double[] uuid = new double[runs], courier = new double[runs];
        long sink = 0;
        for (int run = -1; run < runs; run++) { // run -1 warms up
            long t0, random = 0, made = 0, given = 0;
            for (int order = 0; order < 2; order++) {
                if ((order + run) % 2 == 0) {
                    t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) sink += UUID.randomUUID().toString().length();
                    random = System.nanoTime() - t0;
                } else {
                    t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) sink += Message.to("any@g").build().id().length();
                    made = System.nanoTime() - t0;
                    t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) sink += Message.to("any@g").id("x").build().id().length();
                    given = System.nanoTime() - t0;
                }
            }
            if (run >= 0) {
                uuid[run] = random / (double) n;
                courier[run] = Math.max(0, made - given) / (double) n;
            }
        }
        Arrays.sort(uuid);
        Arrays.sort(courier);
        System.out.printf("| id | ns per id (median of %d runs of %,d) |%n| --- | --- |%n| UUID.randomUUID | %.0f |%n| Courier's default id | %.0f |%n",
                runs, n, uuid[runs / 2], courier[runs / 2]);
        if (sink == 42) System.out.println(); // keeps the loops from being optimised away
    }
}
