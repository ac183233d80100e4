package io.weaseldb.api;

import static io.weaseldb.api.Api.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full commit ring answers {@code 503} with {@code Retry-After} instead of queueing without bound, refuses
 * nothing else, commits nothing it refused, and the server is healthy again as soon as the load is gone.
 * The ring has 2 slots and fsync is on (real files), so 64 clients overrun it quickly.
 */
class BackpressureTest {
    private static final int CLIENTS = 64;
    private static final long DEADLINE_NANOS = 15_000_000_000L;
    private static final int MAX_REFUSALS = 4;

    /** Each client opens a new connection after a 503 (see the next test for why that matters). */
    @Test
    void fullRingAnswers503WithRetryAfterAndEverythingElseCommits(@TempDir Path dir) throws Exception {
        storm(dir, true);
    }

    /**
     * A keep-alive client that was told 503 retries on the same connection, and its later commits and status
     * requests are served. (This once failed: the connection's reusable ticket was armed before publishing and
     * nothing completed it when the ring was full, so the next request found it still pending and got 500;
     * {@code CommitPipeline.publish} now completes it on FULL and STOPPED.)
     */
    @Test
    void keepAliveConnectionKeepsWorkingAfterA503(@TempDir Path dir) throws Exception {
        storm(dir, false);
    }

    private static void storm(Path dir, boolean reconnectAfter503) throws Exception {
        String sections = "[http.pipelines.commit_status]\nring_buffer_size = 2\n"
            + "[storage]\ndata_dir = \"" + dir.resolve("data") + "\"\nfsync = true\n";
        try (TestServer srv = TestServer.start("", sections)) {
            AtomicInteger overloaded = new AtomicInteger();
            AtomicInteger committed = new AtomicInteger();
            Set<Long> versions = ConcurrentHashMap.newKeySet();
            ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
            // Connections are closed only once the storm is over, when their server threads are idle: a client
            // hanging up right after an answer can hit the poller race ConnectionChurnTest reproduces.
            ConcurrentLinkedQueue<RawClient> connections = new ConcurrentLinkedQueue<>();
            long deadline = System.nanoTime() + DEADLINE_NANOS;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < CLIENTS; t++) {
                    int client = t;
                    fs.add(pool.submit(() -> {
                        RawClient c = new RawClient(srv.port, 30_000);
                        connections.add(c);
                        int refusals = 0;
                        // Load until the ring was seen full and enough went through (or the deadline); each client
                        // stops after a few 503s of its own, which bounds the connections a reconnecting client opens.
                        for (int i = 0; !(overloaded.get() > 0 && committed.get() >= 300) && refusals < MAX_REFUSALS
                                && System.nanoTime() < deadline; i++) {
                            String id = "backpressure-client-" + client + "-commit-" + i;
                            // Every 8th request a status query: it shares the ring, so it is refused the same way.
                            boolean status = i % 8 == 7;
                            RawClient.Response raw = status ? c.get("/v1/status?request_id=" + id)
                                : c.postJson("/v1/commit", Api.withId(id, write("bp/" + client + "/" + i, "v")));
                            Api.Reply r = Api.reply(raw);
                            if (r.status() == 200 && !status) {
                                committed.incrementAndGet();
                                if (!versions.add(r.num("version"))) unexpected.add("version reused: " + r);
                            } else if (r.status() == 200) {
                                if (!"not_committed".equals(r.str("status"))) unexpected.add("status of an unused id: " + r);
                            } else if (r.status() == 503 && r.header("Retry-After") != null
                                    && "overloaded".equals(r.str("error"))) {
                                overloaded.incrementAndGet();
                                refusals++;
                                if (reconnectAfter503) {
                                    c = new RawClient(srv.port, 30_000);
                                    connections.add(c);
                                }
                            } else {
                                unexpected.add((refusals > 0 ? "after " + refusals + " 503s: " : "") + r
                                    + " Retry-After=" + r.header("Retry-After"));
                            }
                            if ("close".equalsIgnoreCase(raw.header("Connection"))) {
                                c = new RawClient(srv.port, 30_000);
                                connections.add(c);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            } finally {
                for (RawClient c : connections) c.close();
            }
            assertTrue(unexpected.isEmpty(), unexpected.size() + " answers neither 200 nor 503+Retry-After, e.g. "
                + unexpected.peek());
            assertTrue(overloaded.get() > 0, "no 503 within " + DEADLINE_NANOS / 1_000_000_000 + " s of " + CLIENTS
                + " clients on a 2-slot ring (" + committed.get() + " commits)");
            assertTrue(committed.get() > 0);

            // A refused commit took no version: the acknowledged ones are exactly 1..N.
            Api api = new Api(srv.port);
            int n = committed.get();
            assertEquals(n, versions.size());
            assertEquals(n, api.currentVersion(), "versions: only the acknowledged commits");
            for (long v = 1; v <= n; v++) assertTrue(versions.contains(v), "version " + v + " missing");

            // Healthy once the load is gone.
            Api.Reply ready = api.get("/ready");
            assertEquals(200, ready.status(), ready.body());
            Api.Reply after = api.commit(Api.withId("backpressure-after-the-storm", write("bp/after", "v")));
            assertEquals(200, after.status(), after.body());
            assertEquals(n + 1, after.num("version"));
        }
    }

}
