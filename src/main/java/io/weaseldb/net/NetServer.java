package io.weaseldb.net;

import io.weaseldb.config.ServerConfig;
import io.weaseldb.http.ErrorBody;
import io.weaseldb.http.HttpDate;
import io.weaseldb.http.HttpLimits;
import io.weaseldb.http.Route;
import io.weaseldb.http.Router;
import io.weaseldb.metrics.HttpMetrics;
import io.weaseldb.metrics.HttpMetrics.RouteMetrics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The network side: accept threads, poller loops and per-connection virtual threads.
 *
 * <pre>
 *  accept threads (platform, blocking accept) ──round robin──▶ poller k (platform, owns Selector k)
 *                                                                 │ one-shot readiness: unpark
 *                                                                 ▼
 *                                          connection virtual thread: read → parse → route → handle → write
 * </pre>
 */
public final class NetServer {
    private final ServerConfig.Http cfg;
    private final Router router;
    private final HttpMetrics metrics;
    private final HttpLimits limits;
    private final int headRoom;
    /**
     * Read buffers: every request starts in a small one, which holds any ordinary request (and a commit of a
     * few KiB); a head or body that outgrows it moves to a large one, which holds a maximal head plus 8 KiB.
     * At 1000 busy connections the large size alone was 33 MB of buffers for the young GC to copy.
     */
    static final int SMALL_BUFFER_BYTES = 4096;
    private final BufferPool smallBuffers;
    private final BufferPool largeBuffers;
    private final Map<Route, RouteMetrics> routeMetrics = new IdentityHashMap<>();
    private final RouteMetrics unmatched;
    private final RouteMetrics none;
    private final long requestTimeoutNanos;
    private final long keepaliveTimeoutNanos;
    private final long writeTimeoutNanos;

    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger liveThreads = new AtomicInteger();
    /** Connection threads that resumed from a wait, ever: a yielding thread compares it before and after (see TimeSlice). */
    private final LongAdder resumes = new LongAdder();
    private final AtomicInteger nextPoller = new AtomicInteger();
    private ServerSocketChannel listener;
    private Poller[] pollers;
    private Thread[] acceptors;
    private volatile boolean draining;
    private final BodyBudget bodyBudget;
    private final Semaphore largeHeads;
    private final int maxConnections;

    public NetServer(ServerConfig.Http cfg, Router router, HttpMetrics metrics) {
        this.cfg = cfg;
        this.router = router;
        this.metrics = metrics;
        this.limits = new HttpLimits(cfg.maxRequestLineBytes(), cfg.maxHeaderBytes(), cfg.maxRequestSizeBytes(), 128);
        // A maximal head (request line, field section, their CRLFs) must fit after any pipelined leftover.
        this.headRoom = cfg.maxRequestLineBytes() + cfg.maxHeaderBytes() + 64;
        this.smallBuffers = new BufferPool(SMALL_BUFFER_BYTES, 4096);
        this.largeBuffers = new BufferPool(headRoom + 8192, 1024);
        for (Route r : router.routes()) routeMetrics.computeIfAbsent(r, x -> metrics.route(x.name()));
        this.unmatched = metrics.route("unmatched");
        this.none = metrics.route("none");
        this.requestTimeoutNanos = TimeUnit.SECONDS.toNanos(cfg.requestTimeoutSec());
        this.keepaliveTimeoutNanos = TimeUnit.SECONDS.toNanos(cfg.keepaliveTimeoutSec());
        this.writeTimeoutNanos = TimeUnit.SECONDS.toNanos(cfg.writeTimeoutSec());
        metrics.bindConnectionGauges(open::get, liveThreads::get);
        long fileLimit = ConnectionLimit.processFileLimit();
        this.maxConnections = ConnectionLimit.effective(cfg.maxConnections(), fileLimit);
        this.bodyBudget = new BodyBudget(cfg.maxInflightBodyBytes());
        this.largeHeads = new Semaphore((int) Math.max(16, bodyBudget.totalBytes() / largeBuffers.bufferSize()));
        if (maxConnections < cfg.maxConnections()) {
            System.err.println("weaseldb: WARNING: http.max_connections = " + cfg.maxConnections() + " but this process may"
                + " open only " + fileLimit + " files; accepting at most " + maxConnections
                + " connections so that " + ConnectionLimit.RESERVED_DESCRIPTORS + " stay for the commit log and the"
                + " runtime (raise the limit, e.g. ulimit -n, to allow more)");
        }
    }

    BodyBudget bodyBudget() { return bodyBudget; }

    /**
     * Requests whose head outgrew the small read buffer, at once: each holds a large buffer (32 KiB by default) until
     * it is answered. Bodies are under {@link #bodyBudget}; heads were not, and about 6,000 connections that sent
     * 6 KB of head and stalled ran a 256 MiB heap out (the abuse audit). As many as fit a budget of the body
     * budget's size ({@code max_inflight_body_bytes}, an eighth of the heap by default), held apart from it, and at
     * least 16; a head over it is answered 503 at once.
     */
    Semaphore largeHeads() { return largeHeads; }

    /** Large-head permits free now (for tests). */
    public int largeHeadsAvailable() { return largeHeads.availablePermits(); }
    /** KiB of the request-body budget not held by any request (for tests and the curious). */
    public int bodyBudgetAvailableKiB() { return bodyBudget.availableKiB(); }

    /** Connections accepted at most: {@code http.max_connections}, lowered to fit the process's file limit. */
    public int maxConnections() { return maxConnections; }

    /** More than three quarters of {@link #maxConnections} open: connections closing after an error do not linger. */
    boolean nearConnectionLimit() { return open.get() > maxConnections - maxConnections / 4; }

    /** Binds and starts accepting; returns the bound address (the real port when configured as 0). */
    public InetSocketAddress start() throws IOException {
        listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        try {
            listener.bind(new InetSocketAddress(cfg.bindIp(), cfg.port()), 4096);
        } catch (IOException e) {
            listener.close();
            // A port in use, an address not on this machine, a privileged port: name the settings to change.
            throw new IOException("cannot listen on " + cfg.bindAddress() + ":" + cfg.port()
                + " (http.bind_address, http.port): " + e.getMessage(), e);
        }
        // Default: half the cores. A poller only dispatches readiness; measured on 2 cores, one poller beat two
        // (more req/s, lower p99 at 64 and 1000 connections) because it leaves the cores to the connection threads.
        int n = ThreadCounts.pollers(cfg.networkThreads(), Runtime.getRuntime().availableProcessors());
        pollers = new Poller[n];
        for (int i = 0; i < n; i++) {
            pollers[i] = new Poller(i, resumes);
            pollers[i].start();
        }
        acceptors = new Thread[cfg.acceptThreads()];
        for (int i = 0; i < acceptors.length; i++) {
            acceptors[i] = Thread.ofPlatform().name("weaseldb-accept-" + i).daemon(true).start(this::acceptLoop);
        }
        return (InetSocketAddress) listener.getLocalAddress();
    }

    private final AcceptFailureLog acceptFailures = new AcceptFailureLog(TimeUnit.SECONDS.toNanos(10));

    private void acceptLoop() {
        while (!draining) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (ClosedChannelException e) {
                return; // stopping
            } catch (IOException e) {
                // e.g. EMFILE: back off briefly instead of spinning on a condition that persists, and say so
                // once per interval, not once per retry (a descriptor flood must not become a log flood)
                metrics.rejected("accept_failed");
                acceptFailures.report(e);
                LockSupportPause.pause();
                continue;
            }
            metrics.accepted();
            if (open.incrementAndGet() > maxConnections) {
                open.decrementAndGet();
                reject(ch);
                continue;
            }
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Poller p = pollers[Math.floorMod(nextPoller.getAndIncrement(), pollers.length)];
                Connection c = new Connection(this, p, ch);
                Thread t = Thread.ofVirtual().unstarted(c);
                c.thread = t;
                p.startLater(t);  // in turn with the poller's wake-ups: see there
            } catch (IOException | RuntimeException e) {
                open.decrementAndGet();
                closeQuietly(ch);
            }
        }
    }

    private static final byte[] OVERLOADED_BODY = ErrorBody.json("too_many_connections",
        "the server is at its connection limit; retry later");

    /** Over the limit: a short 503 written without blocking (best effort), then close. */
    private void reject(SocketChannel ch) {
        metrics.rejected("max_connections");
        try {
            ch.configureBlocking(false);
            String head = "HTTP/1.1 503 Service Unavailable\r\n" + new String(HttpDate.headerLine(), StandardCharsets.US_ASCII)
                + "Content-Type: application/json\r\nContent-Length: " + OVERLOADED_BODY.length
                + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
            ch.write(new ByteBuffer[] {ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)), ByteBuffer.wrap(OVERLOADED_BODY)});
            ch.shutdownOutput();
        } catch (IOException ignored) {
            // best effort
        }
        closeQuietly(ch);
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /**
     * Graceful stop: stop accepting, close idle connections, let in-flight requests finish (their responses
     * say {@code Connection: close}) until {@code deadlineNanos}, then close whatever remains.
     */
    public void shutdown(long drainNanos) {
        long deadline = System.nanoTime() + drainNanos;
        draining = true;
        try {
            if (listener != null) listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (pollers == null) return;
        for (Poller p : pollers) p.drain();
        while (open.get() > 0 && System.nanoTime() - deadline < 0) {
            LockSupportPause.pause();
        }
        for (Poller p : pollers) p.stop();
        for (Poller p : pollers) {
            try {
                p.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ for connections

    void threadStarted() { liveThreads.incrementAndGet(); }

    void noteResumed() { resumes.increment(); }

    long resumes() { return resumes.sum(); }

    void connectionClosed() {
        open.decrementAndGet();
        liveThreads.decrementAndGet();
    }

    public boolean draining() { return draining; }
    public int openConnections() { return open.get(); }
    public int liveConnectionThreads() { return liveThreads.get(); }

    HttpLimits limits() { return limits; }
    int headRoom() { return headRoom; }
    BufferPool smallBuffers() { return smallBuffers; }
    BufferPool largeBuffers() { return largeBuffers; }
    Router router() { return router; }
    HttpMetrics metrics() { return metrics; }
    /** The router's own answers (404, 405, OPTIONS, CONNECT) are not registered routes: they share "unmatched". */
    RouteMetrics routeMetrics(Route r) { return routeMetrics.getOrDefault(r, unmatched); }
    RouteMetrics noRoute() { return none; }
    long requestTimeoutNanos() { return requestTimeoutNanos; }
    long keepaliveTimeoutNanos() { return keepaliveTimeoutNanos; }
    long writeTimeoutNanos() { return writeTimeoutNanos; }
}
