package io.courier.http;

import io.courier.Courier;
import io.courier.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Concurrent producers for the crash tests: {@code senders} virtual threads send messages {@code m0 … m(n-1)} to
 * {@code any@group}, each send waiting for its answer; a failed send (hub down) is sent again after 100 ms, as a
 * careful producer does. Each answered id goes to {@code accepted}; each failed try counts in {@code failures}.
 */
final class CarefulSenders {
    private CarefulSenders() {}

    static CompletableFuture<Void> start(Courier c, String group, int n, int senders, int payloadBytes, Set<String> accepted, AtomicInteger failures) {
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            int first = s;
            running.add(CompletableFuture.runAsync(() -> {
                for (int i = first; i < n; i += senders) {
                    Message m = Message.to("any@" + group).id("m" + i).payload(new byte[payloadBytes]).build();
                    while (true) {
                        try {
                            c.send(m).get(60, TimeUnit.SECONDS);
                            accepted.add(m.id());
                            break;
                        } catch (ExecutionException e) {
                            failures.incrementAndGet();
                            sleep(100);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            }, Executors.newVirtualThreadPerTaskExecutor()));
        }
        return CompletableFuture.allOf(running.toArray(CompletableFuture[]::new));
    }

    private static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }
}
