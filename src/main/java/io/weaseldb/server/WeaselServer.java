package io.weaseldb.server;

import io.weaseldb.api.CommitHandlers;
import io.weaseldb.api.RetentionHandlers;
import io.weaseldb.api.SubscribeHandler;
import io.weaseldb.commit.CommitLimits;
import io.weaseldb.commit.CommitPipeline;
import io.weaseldb.commit.CommitRequestParsers;
import io.weaseldb.commit.ConflictHistory;
import io.weaseldb.commit.Resolver;
import io.weaseldb.commit.ResolverConfig;
import io.weaseldb.config.ServerConfig;
import io.weaseldb.http.Method;
import io.weaseldb.http.Route;
import io.weaseldb.http.Router;
import io.weaseldb.metrics.Metrics;
import io.weaseldb.net.NetServer;
import io.weaseldb.pipeline.PipelineConfig;
import io.weaseldb.storage.DataDirLock;
import io.weaseldb.storage.RetentionPolicyStore;
import io.weaseldb.storage.Directories;
import io.weaseldb.storage.FileBanJournal;
import io.weaseldb.storage.FileIdArchive;
import io.weaseldb.storage.SegmentedFileLog;
import io.weaseldb.stream.ChangeFeed;
import io.weaseldb.stream.LogRetention;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Wires config, storage, the commit pipeline, routes and the network into one running server, and takes
 * them down in the reverse order: network drain first (in-flight commits still complete), then the
 * pipeline, then the log.
 */
public final class WeaselServer implements AutoCloseable {
    private static final byte[] OK = "OK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] READY = "{\"ready\":true}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOT_READY = "{\"ready\":false}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LIVE = "{\"live\":true}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOT_LIVE = "{\"live\":false,\"reason\":\"storage_unavailable\"}".getBytes(StandardCharsets.US_ASCII);

    private final ServerConfig cfg;
    private final Metrics metrics;
    private final DataDirLock lock;
    private final SegmentedFileLog log;
    private final FileBanJournal bans;
    private final ChangeFeed feed;
    private final LogRetention retention;
    private final CommitPipeline commits;
    private final NetServer net;
    private final InetSocketAddress address;
    private volatile boolean ready;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    private WeaselServer(ServerConfig cfg, Consumer<Router> extraRoutes) throws IOException {
        this.cfg = cfg;
        this.metrics = Metrics.create(cfg.metrics().enabled());
        ServerConfig.Storage st = cfg.storage();
        Directories.createDurably(st.dataDir(), st.fsync());
        this.lock = DataDirLock.acquire(st.dataDir());
        boolean started = false;
        try {
            if (!st.fsync()) {
                System.err.println("weaseldb: WARNING: storage.fsync = false: acknowledged commits can be lost on a "
                    + "crash or power failure; use only for benchmarks");
            }
            this.log = SegmentedFileLog.open(st.dataDir(),
                SegmentedFileLog.Options.defaults().withFsync(st.fsync()).withSegmentBytes(st.segmentBytes()),
                metrics.registry());
            ServerConfig.Commit c = cfg.commit();
            long retentionMillis = TimeUnit.HOURS.toMillis(c.requestIdRetentionHours());
            long maxIds = ResolverConfig.requestIdsForHeap(Runtime.getRuntime().maxMemory());
            this.bans = FileBanJournal.open(st.dataDir(), st.fsync(), retentionMillis, c.requestIdRetentionVersions(), maxIds,
                System::currentTimeMillis, log.lastVersion() > 0 || log.oldestVersion() > 1);
            FileIdArchive ids = FileIdArchive.open(st.dataDir(), st.fsync(), retentionMillis, c.requestIdRetentionVersions(), maxIds,
                System::currentTimeMillis);
            RetentionPolicyStore policies = RetentionPolicyStore.open(st.dataDir());
            // The feed starts at the recovered last version, before the persist stage can publish to it.
            this.feed = ChangeFeed.start(log, ChangeFeed.Options.of(cfg.subscription().maxBufferSizeBytes(),
                cfg.subscription().keepaliveIntervalSeconds()), metrics.registry());
            this.commits = commitPipeline(cfg, log, ids, bans, maxIds, feed, metrics);
            // After recovery has read the archive: the retention thread adds to it.
            this.retention = LogRetention.start(log, ids, policies, st.retainVersions(), Duration.ofSeconds(1));
            commits.start();

            Router router = routes(cfg, policies, extraRoutes);
            this.net = new NetServer(cfg.http(), router, metrics.http());
            this.address = net.start();
            this.ready = true;
            started = true;
        } finally {
            if (!started) closeStorage();
        }
    }

    /** Every endpoint: fast-path probes and metrics, the commit pipeline's routes, the feed, retention. */
    private Router routes(ServerConfig cfg, RetentionPolicyStore policies, Consumer<Router> extraRoutes) {
        Router router = new Router();
        router.exact("/ok", new Route("/ok", Method.GET, null, ex -> ex.respond(200, "text/plain", OK)));
        router.exact("/ready", new Route("/ready", Method.GET, null, ex -> {
            boolean r = ready && !ex.draining() && commits.healthy();
            ex.respond(r ? 200 : 503, "application/json", r ? READY : NOT_READY);
        }));
        // Liveness: false only in a state nothing but a restart leaves (the log failed, or the resolver did), so a
        // supervisor restarts the process and recovery continues from the log; starting and draining are alive.
        router.exact("/live", new Route("/live", Method.GET, null, ex -> {
            boolean live = commits.healthy();
            ex.respond(live ? 200 : 503, "application/json", live ? LIVE : NOT_LIVE);
        }));
        if (metrics.enabled()) {
            router.exact("/metrics", new Route("/metrics", Method.GET, null, ex -> {
                String accept = ex.request().header("Accept");
                ex.respond(200, Metrics.contentType(accept), metrics.scrape(accept));
            }));
        }
        CommitRequestParsers parsers = CommitRequestParsers.standard(commitLimits(cfg.commit()));
        for (Route r : new CommitHandlers(commits, parsers).routes()) router.exact(r.name(), r);
        router.exact(SubscribeHandler.PATH, SubscribeHandler.route(feed));
        RetentionHandlers.register(router, policies);
        // Routes given by the caller (tests) win over built-in ones with the same method and path.
        Router extra = new Router();
        extraRoutes.accept(extra);
        return extra.addAbsent(router);
    }

    /** @param maxIds the request ids kept in memory at most: the same bound the ban journal and the id archive prune to */
    private static CommitPipeline commitPipeline(ServerConfig cfg, SegmentedFileLog log, FileIdArchive ids, FileBanJournal bans,
                                                 long maxIds, ChangeFeed feed, Metrics metrics) throws IOException {
        ServerConfig.Commit c = cfg.commit();
        // The two long-lived sets may take a quarter of the heap each (the history at most 256 MiB).
        long heap = Runtime.getRuntime().maxMemory();
        ResolverConfig rc = new ResolverConfig(c.conflictWindowVersions(), Math.min(ConflictHistory.DEFAULT_MAX_BYTES, heap / 4),
            Duration.ofHours(c.requestIdRetentionHours()), c.requestIdRetentionVersions(), maxIds);
        // A new leadership term per process start (API.md: leader_id changes on every start).
        Resolver resolver = Resolver.recover(log, ids, bans, UUID.randomUUID().toString(), rc, System::currentTimeMillis);
        ServerConfig.Pipeline p = cfg.http().pipeline(CommitHandlers.PIPELINE);
        // auto: without fsync there is no sync for a separate persist thread to overlap, only a hand-off to pay.
        CommitPipeline.Layout layout = switch (p.layout()) {
            case "split" -> CommitPipeline.Layout.SPLIT;
            case "fused" -> CommitPipeline.Layout.FUSED;
            case "auto" -> cfg.storage().fsync() ? CommitPipeline.Layout.SPLIT : CommitPipeline.Layout.FUSED;
            default -> throw new IllegalArgumentException("http.pipelines." + CommitHandlers.PIPELINE + ".layout: " + p.layout());
        };
        // Resolve and persist threads, plus `threads` respond threads (0: persist answers).
        PipelineConfig pc = PipelineConfig.of(CommitHandlers.PIPELINE, p.ringBufferSize(), layout.threads() + p.threads());
        return new CommitPipeline(pc, layout, p.threads(), resolver, log, bans, feed::publish, metrics.registry());
    }

    private static CommitLimits commitLimits(ServerConfig.Commit c) {
        return new CommitLimits(c.maxKeyBytes(), c.maxValueBytes(), c.minRequestIdLength());
    }

    public static WeaselServer start(ServerConfig cfg) throws IOException {
        return new WeaselServer(cfg, r -> { });
    }

    /**
     * Starts with additional routes (tests use this for echo and slow endpoints, or to wire a handler over
     * their own fixture); they replace built-in routes with the same method and path.
     */
    public static WeaselServer start(ServerConfig cfg, Consumer<Router> extraRoutes) throws IOException {
        return new WeaselServer(cfg, extraRoutes);
    }

    public InetSocketAddress address() { return address; }

    public NetServer net() { return net; }

    public Metrics metrics() { return metrics; }

    public CommitPipeline commits() { return commits; }

    /** Graceful stop within {@code [http] drain_timeout_sec}. */
    public void shutdown() {
        if (!stopped.compareAndSet(false, true)) return;
        ready = false;
        net.shutdown(TimeUnit.SECONDS.toNanos(cfg.http().drainTimeoutSec()));
        closeStorage();
        metrics.close();
    }

    private void closeStorage() {
        if (commits != null && !commits.stop(Duration.ofSeconds(10))) {
            System.err.println("weaseldb: commit pipeline did not drain within 10 s");
        }
        if (feed != null) feed.close();
        if (retention != null) retention.close();
        try {
            if (log != null) log.close();
        } catch (IOException e) {
            System.err.println("weaseldb: closing the commit log failed: " + e.getMessage());
        }
        try {
            if (bans != null) bans.close();
        } catch (IOException e) {
            System.err.println("weaseldb: closing the ban journal failed: " + e.getMessage());
        }
        try {
            lock.close();
        } catch (IOException e) {
            System.err.println("weaseldb: releasing the data directory lock failed: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        shutdown();
    }
}
