package io.weaseldb.api;

import static io.weaseldb.api.Api.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Clients that open a connection, commit once and hang up as soon as they have the answer (what a 503-then-
 * reconnect client, an HTTP/1.0 client or a connection-per-request library does). Each close races the
 * server's poller: the client's EOF makes the key ready while the connection's thread may be closing it.
 *
 * <p>BUG (reproduces in some runs; {@code BackpressureTest} with reconnects hit it 1 run in 4):
 * {@code Poller.onReady} does {@code if (key.isValid()) key.interestOps(0);} on the poller thread while the
 * connection's virtual thread may run {@code Connection.close()} → {@code key.cancel()} in between; the
 * resulting {@code CancelledKeyException} escapes {@code Poller.run}, which logs "poller failed", closes its
 * selector and wakes every connection CLOSED: every connection on that poller is dropped and every new one
 * fails with {@code ClosedSelectorException}. With {@code network_threads = 1} the server stops serving.
 * Disabled only because it reproduces in about 1 run of 6 here (4 s, 64 clients, 2 cores), so it would make
 * the branch flaky rather than red; enable it once the poller tolerates a concurrently cancelled key.
 */
class ConnectionChurnTest {
    private static final int CLIENTS = 64;
    private static final long RUN_NANOS = 4_000_000_000L;

    @Disabled("bug: Poller.onReady's isValid()/interestOps(0) races Connection.close()'s key.cancel(); the "
        + "CancelledKeyException kills the poller and every connection on it (flaky: ~1 run in 6); see the report")
    @Test
    void serverSurvivesClientsThatHangUpRightAfterEachAnswer() throws Exception {
        try (TestServer srv = TestServer.start()) {
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger committed = new AtomicInteger();
            long end = System.nanoTime() + RUN_NANOS;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < CLIENTS; t++) {
                    int client = t;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; System.nanoTime() < end && failures.isEmpty(); i++) {
                            try (RawClient c = new RawClient(srv.port, 10_000)) {
                                Api.Reply r = i % 2 == 0
                                    ? Api.commit(c, Api.withId("churn-client-" + client + "-commit-" + i, write("churn/" + client, "v")))
                                    : Api.get(c, "/v1/version");
                                if (r.status() != 200) failures.add(r.toString());
                                else if (i % 2 == 0) committed.incrementAndGet();
                            } catch (IOException e) {
                                failures.add("client " + client + " request " + i + ": " + e);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            }
            assertTrue(failures.isEmpty(), failures.size() + " failures, e.g. " + failures.peek()
                + " (see stderr for \"poller failed\")");
            try (RawClient c = new RawClient(srv.port)) {
                assertEquals(200, Api.get(c, "/ready").status());
                assertEquals(committed.get(), Api.get(c, "/v1/version").num("version"));
            }
            srv.awaitNoConnections();  // every hung-up connection was noticed and closed
        }
    }
}
