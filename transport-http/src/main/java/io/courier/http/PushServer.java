package io.courier.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.courier.InvalidUrlException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP endpoint of a worker that the hub pushes to ({@code ?push=http://127.0.0.1:9000/}): one JDK server per
 * transport, bound to the push URL's host and port, started with the first push receiver and stopped with the last;
 * each receiver has its own path under the URL's path ({@code /courier-push/<uuid>}), so that several subscriptions
 * share the port. Port 0 binds a free port (one per transport: several Courier instances in one process).
 */
final class PushServer {
    interface Handler { void handle(HttpExchange ex) throws IOException; }

    private final URI base;
    private final AtomicInteger users = new AtomicInteger();
    private HttpServer server;
    private ExecutorService executor;

    PushServer(String pushUrl) {
        URI u;
        try {
            u = URI.create(pushUrl);
        } catch (IllegalArgumentException e) {
            throw new InvalidUrlException("invalid value for parameter 'push': give the worker's own endpoint, e.g. push=http://127.0.0.1:9000/");
        }
        if (!"http".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0) {
            throw new InvalidUrlException("parameter 'push' must be http://HOST:PORT/[PATH] (the address this worker listens on and the hub posts to), got '" + pushUrl + "'");
        }
        this.base = u;
    }

    synchronized String register(Handler h) {
        if (server == null) {
            try {
                server = HttpServer.create(new InetSocketAddress(base.getHost(), base.getPort()), 1024);
            } catch (IOException e) {
                throw new UncheckedIOException("the push endpoint could not listen on " + base.getHost() + ":" + base.getPort() + ": " + e.getMessage(), e);
            }
            executor = Executors.newVirtualThreadPerTaskExecutor();
            server.setExecutor(executor);
            server.start();
        }
        String prefix = base.getPath() == null || base.getPath().isEmpty() ? "/" : base.getPath();
        String path = (prefix.endsWith("/") ? prefix : prefix + "/") + "courier-push/" + UUID.randomUUID();
        server.createContext(path, ex -> {
            try {
                h.handle(ex);
            } catch (IOException | RuntimeException e) {
                ex.close();
            }
        });
        users.incrementAndGet();
        return path;
    }

    synchronized void unregister(String path) {
        if (server == null) return;
        try {
            server.removeContext(path);
        } catch (IllegalArgumentException ignored) {
            // already gone
        }
        if (users.decrementAndGet() == 0) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    /** The URL the hub posts to for {@code path} (with the bound port: {@code push=http://127.0.0.1:0/} picks a free one). */
    synchronized String url(String path) {
        int port = server != null ? server.getAddress().getPort() : base.getPort();
        return "http://" + base.getHost() + ":" + port + path;
    }
}
