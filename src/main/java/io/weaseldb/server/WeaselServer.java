package io.weaseldb.server;

import io.weaseldb.config.ServerConfig;
import io.weaseldb.http.Method;
import io.weaseldb.http.Route;
import io.weaseldb.http.Router;
import io.weaseldb.metrics.Metrics;
import io.weaseldb.net.NetServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Wires config, metrics, routes and the network into one running server. */
public final class WeaselServer implements AutoCloseable {
    private static final byte[] OK = "OK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] READY = "{\"ready\":true}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOT_READY = "{\"ready\":false}".getBytes(StandardCharsets.US_ASCII);

    private final ServerConfig cfg;
    private final Metrics metrics;
    private final NetServer net;
    private final InetSocketAddress address;
    private volatile boolean ready;

    private WeaselServer(ServerConfig cfg, Consumer<Router> extraRoutes) throws IOException {
        this.cfg = cfg;
        this.metrics = Metrics.create(cfg.metrics().enabled());
        Router router = new Router();
        router.exact("/ok", new Route("/ok", Method.GET, null,
            ex -> ex.respond(200, "text/plain", OK)));
        router.exact("/ready", new Route("/ready", Method.GET, null, ex -> {
            boolean r = ready && !ex.draining();
            ex.respond(r ? 200 : 503, "application/json", r ? READY : NOT_READY);
        }));
        if (metrics.enabled()) {
            router.exact("/metrics", new Route("/metrics", Method.GET, null, ex -> {
                String accept = ex.request().header("Accept");
                ex.respond(200, Metrics.contentType(accept), metrics.scrape(accept));
            }));
        }
        extraRoutes.accept(router);
        this.net = new NetServer(cfg.http(), router, metrics.http());
        this.address = net.start();
        this.ready = true;
    }

    public static WeaselServer start(ServerConfig cfg) throws IOException {
        return new WeaselServer(cfg, r -> { });
    }

    /** Starts with additional routes (tests use this for echo and slow endpoints). */
    public static WeaselServer start(ServerConfig cfg, Consumer<Router> extraRoutes) throws IOException {
        return new WeaselServer(cfg, extraRoutes);
    }

    public InetSocketAddress address() { return address; }

    public NetServer net() { return net; }

    public Metrics metrics() { return metrics; }

    /** Graceful stop within {@code [http] drain_timeout_sec}. */
    public void shutdown() {
        ready = false;
        net.shutdown(TimeUnit.SECONDS.toNanos(cfg.http().drainTimeoutSec()));
        metrics.close();
    }

    @Override
    public void close() {
        shutdown();
    }
}
