package io.courier.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process TCP proxy on 127.0.0.1 between a client and a broker, for the connection-cut clauses (C2, C12):
 * {@link #cut()} drops every open connection at once; {@link #block()} also refuses new ones until
 * {@link #unblock()}. One virtual thread per direction per connection.
 */
public final class TcpProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpProxy.class);
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean blocked;
    private volatile boolean closed;

    public TcpProxy(InetSocketAddress target, int port) throws IOException {
        this.target = target;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        Thread.ofVirtual().name("tcp-proxy-accept").start(this::acceptLoop);
    }

    /** Where clients connect. */
    public InetSocketAddress address() { return new InetSocketAddress("127.0.0.1", server.getLocalPort()); }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) log.debug("proxy accept failed: {}", e.toString());
                continue;
            }
            if (blocked) { closeQuietly(client); continue; }
            Thread.ofVirtual().start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 5_000);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        sockets.add(client);
        sockets.add(upstream);
        Thread.ofVirtual().start(() -> pump(client, upstream));
        Thread.ofVirtual().start(() -> pump(upstream, client));
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // connection cut or closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    /** Drops every open connection (both sides see a reset or EOF). New connections are still accepted. */
    public void cut() {
        log.info("proxy {} -> {}: cutting {} sockets", address(), target, sockets.size());
        for (Socket s : Set.copyOf(sockets)) closeQuietly(s);
    }

    /** Cuts every connection and refuses new ones until {@link #unblock()}: the broker looks down. */
    public void block() {
        blocked = true;
        cut();
    }

    public void unblock() { blocked = false; }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        cut();
    }

    private static void closeQuietly(AutoCloseable c) {
        try { c.close(); } catch (Exception ignored) { /* closing */ }
    }
}
