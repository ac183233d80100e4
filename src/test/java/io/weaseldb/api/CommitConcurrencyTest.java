package io.weaseldb.api;

import static io.weaseldb.api.Api.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Many clients committing at once over keep-alive connections: the sequencer hands every acknowledged
 * commit its own version, and together they are exactly 1..N with nothing lost or reused.
 */
class CommitConcurrencyTest {

    @Test
    void sixtyFourClientsGetDistinctContiguousVersions() throws Exception {
        try (TestServer srv = TestServer.start()) {
            storm(srv, 64, 300);
        }
    }

    /** The respond stage runs on several threads here, so answers may complete out of ring order. */
    @Test
    void parallelRespondStageKeepsVersionsDistinctAndContiguous() throws Exception {
        try (TestServer srv = TestServer.start("", "[http.pipelines.commit_status]\nring_buffer_size = 256\nthreads = 4\n")) {
            storm(srv, 96, 100);
        }
    }

    private static void storm(TestServer srv, int clients, int each) throws Exception {
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        long[][] versions = new long[clients][each];
        CountDownLatch connected = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        // Closed after the storm, when the server side is idle (see ConnectionChurnTest for why).
        ConcurrentLinkedQueue<RawClient> connections = new ConcurrentLinkedQueue<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < clients; t++) {
                int client = t;
                fs.add(pool.submit(() -> {
                    RawClient c = new RawClient(srv.port, 30_000);
                    connections.add(c);
                    connected.countDown();
                    go.await();
                    for (int i = 0; i < each; i++) {
                        String id = "storm-client-" + client + "-commit-" + i;
                        String body = Api.withId(id, write("k/" + client + "/" + i, "v" + i));
                        Api.Reply r = Api.commit(c, body);
                        // A full ring answers 503 overloaded at once (the pipeline's back-pressure): nothing was
                        // published, so the client retries the same id after a short backoff, as API.md allows.
                        // With parallel respond threads a descheduled one holds slots back (the ring frees up to
                        // the slowest), which a loaded machine can make last long enough to fill the ring.
                        for (int retry = 0; retry < 1000 && r.status() == 503 && "overloaded".equals(r.str("error")); retry++) {
                            Thread.sleep(1);
                            r = Api.commit(c, body);
                        }
                        if (r.status() != 200 || !id.equals(r.str("request_id"))) {
                            failures.add(id + ": " + r);
                            return null;
                        }
                        versions[client][i] = r.num("version");
                    }
                    return null;
                }));
            }
            connected.await();
            go.countDown();
            for (Future<?> f : fs) f.get();
        } finally {
            for (RawClient c : connections) c.close();
        }
        assertTrue(failures.isEmpty(), failures.size() + " failed, e.g. " + failures.peek());

        int n = clients * each;
        BitSet seen = new BitSet(n + 1);
        for (int c = 0; c < clients; c++) {
            long previous = 0;
            for (int i = 0; i < each; i++) {
                long v = versions[c][i];
                assertTrue(v >= 1 && v <= n, "version " + v + " outside 1.." + n);
                assertTrue(!seen.get((int) v), "version " + v + " acknowledged twice");
                assertTrue(v > previous, "one client's sequential commits get increasing versions");
                previous = v;
                seen.set((int) v);
            }
        }
        assertEquals(n, seen.cardinality(), "versions 1.." + n + " all acknowledged");
        assertEquals(n, new Api(srv.port).currentVersion());
    }
}
