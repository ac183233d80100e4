package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Timeouts, the connection limit and graceful shutdown, each on a server configured for it. */
class LimitsAndLifecycleTest {
    private static final String GET_OK = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";

    @Test
    void requestTimeoutAnswers408AndCloses() throws Exception {
        try (TestServer srv = TestServer.start("request_timeout_sec = 1\nkeepalive_timeout_sec = 30\n")) {
            try (RawClient c = new RawClient(srv.port)) {
                long t0 = System.nanoTime();
                c.send("GET /ok HTTP/1.1\r\nHost: x\r\n"); // never finished: a slowloris
                RawClient.Response r = c.read();
                assertEquals(408, r.status());
                assertTrue(c.closedByServer());
                long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                assertTrue(ms >= 900, "timed out after " + ms + " ms, before the configured 1 s");
            }
            // The deadline covers the whole request, however steadily it trickles in (slowloris).
            try (RawClient c = new RawClient(srv.port)) {
                c.send("GET /ok HTTP/1.1\r\nHost: x\r\n");
                Thread dripper = Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < 50; i++) {
                            c.send("X-Drip-" + i + ": y\r\n");
                            Thread.sleep(100); // the attacker's pace, not synchronisation
                        }
                    } catch (IOException | InterruptedException closed) {
                        // the server hung up: expected
                    }
                });
                RawClient.Response r = c.read();
                assertEquals(408, r.status());
                dripper.join();
            }
            srv.awaitNoConnections();
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosedWithoutAResponse() throws Exception {
        try (TestServer srv = TestServer.start("keepalive_timeout_sec = 1\n")) {
            try (RawClient c = new RawClient(srv.port)) {
                assertEquals(200, c.send(GET_OK).read().status());
                assertTrue(c.closedByServer(), "closed after the keep-alive timeout");
            }
            srv.awaitNoConnections();
        }
    }

    @Test
    void connectionsOverTheLimitGet503AndExistingOnesAreUnaffected() throws Exception {
        try (TestServer srv = TestServer.start("max_connections = 3\n")) {
            List<RawClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    RawClient c = new RawClient(srv.port);
                    assertEquals(200, c.send(GET_OK).read().status());
                    held.add(c);
                }
                try (RawClient extra = new RawClient(srv.port)) {
                    RawClient.Response r = extra.read();
                    assertEquals(503, r.status());
                    assertEquals("1", r.header("Retry-After"));
                    assertTrue(extra.closedByServer());
                }
                for (RawClient c : held) assertEquals(200, c.send(GET_OK).read().status());
            } finally {
                for (RawClient c : held) c.close();
            }
            srv.awaitNoConnections();
            try (RawClient c = new RawClient(srv.port)) {
                assertEquals(200, c.send(GET_OK).read().status(), "capacity is back once clients left");
            }
        }
    }

    @Test
    void gracefulShutdownFinishesInFlightRequestsAndClosesIdleOnes() throws Exception {
        TestServer srv = TestServer.start("drain_timeout_sec = 10\n");
        try (RawClient idle = new RawClient(srv.port); RawClient busy = new RawClient(srv.port)) {
            assertEquals(200, idle.send(GET_OK).read().status());
            busy.send("GET /ok HTTP/1.1\r\nHost: x\r\n"); // a request in flight: head not finished yet
            TestServer.awaitTrue("both connections registered", Duration.ofSeconds(5), () -> srv.openConnections() == 2);

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(srv::close);
            assertTrue(idle.closedByServer(), "idle keep-alive connection closed by the drain");
            TestServer.awaitTrue("listener closed", Duration.ofSeconds(5), () -> {
                try (RawClient late = new RawClient(srv.port, 500)) {
                    return false;
                } catch (IOException refused) {
                    return true;
                }
            });
            RawClient.Response r = busy.send("\r\n").read();
            assertEquals(200, r.status(), "in-flight request finished during the drain");
            assertEquals("close", r.header("Connection"));
            stopped.get();
            assertEquals(0, srv.openConnections());
        }
    }
}
