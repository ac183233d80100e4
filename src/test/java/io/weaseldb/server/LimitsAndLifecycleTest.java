package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    /**
     * After a silent connection's 408 the server reads (and drops) what it still sends for a while, so that closing
     * does not reset the answer away. That read must not go into a buffer the poller has meanwhile taken back as
     * an idle connection's and handed to another connection: the other connection then parsed the first one's
     * bytes as its own request (the concurrency review's finding). The pauses only give the poller's 100 ms scan
     * and the second connection time to open that window; the assertions do not depend on them.
     */
    @Test
    void bytesAfterA408NeverReachAnotherConnection() throws Exception {
        try (TestServer srv = TestServer.start("request_timeout_sec = 1\n")) {
            for (int attempt = 0; attempt < 3; attempt++) {
                try (RawClient silent = new RawClient(srv.port)) {
                    assertEquals(408, silent.read().status());
                    Thread.sleep(300);
                    try (RawClient other = new RawClient(srv.port, 5_000)) {
                        other.send("GET ");
                        Thread.sleep(150);
                        silent.send("/secret-of-the-silent-one HTTP/1.1\r\nHost: a\r\n\r\n");
                        Thread.sleep(150);
                        RawClient.Response r = other.send("/ok HTTP/1.1\r\nHost: c\r\n\r\n").read();
                        assertEquals(200, r.status(), r.bodyText());
                        assertEquals("OK", r.bodyText());
                    }
                }
            }
            srv.awaitNoConnections();
        }
    }

    /**
     * Heads that outgrow the small read buffer hold a large one until answered: at most the body budget's worth
     * of them at once (here 64 KiB: the floor of 16). Past that a large head is refused 503 at once, ordinary
     * requests go on, and the permits come back with the stalled heads' connections.
     */
    @ParameterizedTest(name = "pipelined behind a large request: {0}")
    @ValueSource(booleans = {false, true})
    void stalledLargeHeadsAreBoundedAndRefused503(boolean behindALargeRequest) throws Exception {
        try (TestServer srv = TestServer.start("max_inflight_body_bytes = 65536\nrequest_timeout_sec = 30\n")) {
            String bigHead = "GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p".repeat(6000) + "\r\n";
            // Behind a complete large request, the unfinished one is left in that request's large buffer once it is
            // answered: it must take a permit of its own (the second review's finding: it held the buffer without one).
            String first = behindALargeRequest ? "GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: " + "q".repeat(5000) + "\r\n\r\n" : "";
            List<RawClient> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) {
                    RawClient c = new RawClient(srv.port).send(first + bigHead);  // the second never finished
                    stalled.add(c);
                    if (behindALargeRequest) assertEquals(200, c.read().status());
                }
                TestServer.awaitTrue("16 large heads held", Duration.ofSeconds(10),
                    () -> srv.server.net().largeHeadsAvailable() == 0);
                try (RawClient c = new RawClient(srv.port)) {
                    RawClient.Response r = c.send(bigHead + "\r\n").read();
                    assertEquals(503, r.status(), r.bodyText());
                    assertTrue(r.bodyText().contains("overloaded"), r.bodyText());
                    assertEquals("1", r.header("Retry-After"));
                }
                try (RawClient c = new RawClient(srv.port)) {
                    assertEquals(200, c.send(GET_OK).read().status(), "an ordinary request is served meanwhile");
                }
            } finally {
                for (RawClient c : stalled) c.close();
            }
            TestServer.awaitTrue("the permits back", Duration.ofSeconds(10), () -> srv.server.net().largeHeadsAvailable() == 16);
            try (RawClient c = new RawClient(srv.port)) {
                assertEquals(200, c.send(bigHead + "\r\n").read().status());
            }
            srv.awaitNoConnections();
        }
    }

    /**
     * A subscription lasts as long as its client: a padded head must not keep its large-head permit (or its large
     * buffer) for that long, or sixteen such subscribers would leave every other large head a 503.
     */
    @Test
    void subscribersWithLargeHeadsGiveTheirPermitsBack() throws Exception {
        try (TestServer srv = TestServer.start("max_inflight_body_bytes = 65536\n")) {
            String pad = "X-Pad: " + "p".repeat(6000) + "\r\n";
            List<RawClient> subscribers = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    RawClient c = new RawClient(srv.port).send("GET /v1/subscribe HTTP/1.1\r\nHost: x\r\n" + pad + "\r\n");
                    subscribers.add(c);
                    RawClient.Response r = c.read(true);
                    assertEquals(200, r.status());
                    assertEquals("text/event-stream", r.header("Content-Type"));
                }
                TestServer.awaitTrue("every permit back while 20 subscribers stream", Duration.ofSeconds(10),
                    () -> srv.server.net().largeHeadsAvailable() == 16);
                try (RawClient c = new RawClient(srv.port)) {
                    assertEquals(200, c.send("GET /ok HTTP/1.1\r\nHost: x\r\n" + pad + "\r\n").read().status());
                }
                TestServer.awaitTrue("the 20 subscriptions still open", Duration.ofSeconds(10),
                    () -> srv.server.net().openConnections() == 20);
            } finally {
                for (RawClient c : subscribers) c.close();
            }
            srv.awaitNoConnections();
        }
    }

    /**
     * Near the connection limit a connection closed after an error does not linger (reading what its client still
     * sends, for up to 2 s) while it counts against the limit: its slot is free as soon as its error is sent.
     */
    @Test
    void nearTheLimitAnErroredConnectionFreesItsSlotAtOnce() throws Exception {
        try (TestServer srv = TestServer.start("max_connections = 4\n")) {
            List<RawClient> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) idle.add(new RawClient(srv.port));
                try (RawClient bad = new RawClient(srv.port)) {
                    assertEquals(400, bad.send("GET /ok HTTP/1.1\r\nBad Name: 1\r\n\r\n").read().status());
                    // Its client keeps the socket open: with a linger the slot stayed taken for 2 s.
                    TestServer.awaitTrue("the errored connection's slot back", Duration.ofSeconds(1),
                        () -> srv.server.net().openConnections() == 3);
                    try (RawClient next = new RawClient(srv.port)) {
                        assertEquals(200, next.send(GET_OK).read().status());
                    }
                }
            } finally {
                for (RawClient c : idle) c.close();
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

    /**
     * RFC 9112 §2.2: empty lines before a request are ignored, so they must not start a request's timeout: a
     * client that sends an extra CRLF after its request (some do, after a POST body) keeps an idle keep-alive
     * connection, closed quietly at the idle deadline, not a 408 at the request deadline.
     */
    @Test
    void emptyLinesBetweenRequestsLeaveTheConnectionIdle() throws Exception {
        try (TestServer srv = TestServer.start("request_timeout_sec = 1\nkeepalive_timeout_sec = 3\n")) {
            try (RawClient c = new RawClient(srv.port)) {
                long t0 = System.nanoTime();
                assertEquals(200, c.send(GET_OK + "\r\n").read().status());
                Thread.sleep(1500); // the client's pace: past the request deadline the CRLF would have started
                assertEquals(200, c.send("\r\n\r\n" + GET_OK).read().status());
                c.send("\r\n");
                assertTrue(c.closedByServer(), "closed without an answer (a 408 would be bytes before the close)");
                long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                assertTrue(ms >= 4000, "closed after " + ms + " ms: before the 3 s keep-alive timeout after the second answer");
            }
            srv.awaitNoConnections();
        }
    }

    /**
     * The limit on empty lines before a request does not depend on how they arrive: with the request before them
     * (the parser skips them), after it in a later read (the connection drops them while idle), or split inside a
     * CRLF. Before, only the first way was limited (the differential audit).
     */
    @ParameterizedTest(name = "split {0}")
    @ValueSource(strings = {"together", "after the answer", "inside a CRLF"})
    void emptyLinesBeforeARequestAreLimitedHoweverTheyArrive(String split) throws Exception {
        try (TestServer srv = TestServer.start("max_request_line_bytes = 1024\n")) {
            for (int crlfs : new int[] {512, 513}) {
                String lines = "\r\n".repeat(crlfs);
                try (RawClient c = new RawClient(srv.port)) {
                    switch (split) {
                        case "together" -> c.send(GET_OK + lines + GET_OK);
                        case "after the answer" -> {
                            assertEquals(200, c.send(GET_OK).read().status());
                            c.send(lines + GET_OK);
                        }
                        default -> {
                            assertEquals(200, c.send(GET_OK + lines.substring(0, 301)).read().status());
                            c.send(lines.substring(301) + GET_OK);
                        }
                    }
                    if (split.equals("together")) assertEquals(200, c.read().status());
                    RawClient.Response r = c.read();
                    if (crlfs == 512) {
                        assertEquals(200, r.status(), "1,024 bytes of empty lines are within the limit");
                    } else {
                        assertEquals(400, r.status(), r.bodyText());
                        assertTrue(r.bodyText().contains("empty lines"), r.bodyText());
                    }
                }
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
            awaitListenerClosed(srv);
            RawClient.Response r = busy.send("\r\n").read();
            assertEquals(200, r.status(), "in-flight request finished during the drain");
            assertEquals("close", r.header("Connection"));
            stopped.get();
            assertEquals(0, srv.openConnections());
        }
    }

    /** The drain has begun once the listener refuses connections. */
    private static void awaitListenerClosed(TestServer srv) {
        TestServer.awaitTrue("listener closed", Duration.ofSeconds(5), () -> {
            try (RawClient late = new RawClient(srv.port, 500)) {
                return false;
            } catch (IOException refused) {
                return true;
            }
        });
    }

    /** A request whose head was read before the drain began is answered, and its answer says the connection closes. */
    @Test
    void anAnswerFinishedDuringTheDrainSaysConnectionClose() throws Exception {
        TestServer srv = TestServer.start("drain_timeout_sec = 10\n", "", CoreHttpTest::testRoutes);
        try (RawClient busy = new RawClient(srv.port)) {
            int budget = srv.bodyBudgetAvailableKiB();
            busy.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
            // The handler reserves body budget once it starts reading the body: the head was parsed before the drain.
            TestServer.awaitTrue("the body is being read", Duration.ofSeconds(5), () -> srv.bodyBudgetAvailableKiB() < budget);
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(srv::close);
            awaitListenerClosed(srv);
            RawClient.Response r = busy.send("world").read();
            assertEquals(200, r.status());
            assertEquals("helloworld", r.bodyText());
            assertEquals("close", r.header("Connection"), "the client must not send another request on it");
            assertTrue(busy.closedByServer());
            stopped.get();
        }
    }

    /**
     * The pace rule guards the shared body budget, so it applies only while other requests wait for it: a body
     * that pauses past its pace with nobody waiting still has until its request deadline (API.md: 408 only for a
     * request not complete within request_timeout_sec).
     */
    @Test
    void aSlowBodyThatKeepsNobodyWaitingHasUntilItsRequestDeadline() throws Exception {
        // Room for both bodies: nobody waits for the budget.
        try (TestServer srv = TestServer.start("max_inflight_body_bytes = 8192\nrequest_timeout_sec = 4\n", "",
                CoreHttpTest::testRoutes);
             RawClient slow = new RawClient(srv.port, 10_000);
             RawClient stalled = new RawClient(srv.port, 10_000)) {
            long start = System.nanoTime();
            slow.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" + "a".repeat(100));
            stalled.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" + "a".repeat(100));
            TestServer.awaitTrue("both bodies are being read", Duration.ofSeconds(5), () -> srv.bodyBudgetAvailableKiB() == 0);
            // The client's own pause (what is under test, not synchronisation): its pace deadline is about 1.1 s
            // after the reservation, its request deadline 4 s after its first byte.
            Thread.sleep(2000);
            RawClient.Response r = slow.send("a".repeat(3900)).read();
            assertEquals(200, r.status(), r.bodyText());
            assertEquals(4000, r.body().length);
            // Behind its pace and never finished: the request deadline still ends it.
            RawClient.Response cut = stalled.read();
            assertEquals(408, cut.status(), cut.bodyText());
            assertTrue(cut.bodyText().contains("not received within 4 s"), cut.bodyText());
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(3900), "not before its request deadline");
        }
    }

    /**
     * Request bodies share a memory budget (http.max_inflight_body_bytes): a body that does not fit waits for
     * the ones before it, and gets 503 overloaded with Retry-After when its request deadline passes first.
     */
    @Test
    void bodiesBeyondTheInflightBudgetWaitThenGet503() throws Exception {
        try (TestServer srv = TestServer.start("max_inflight_body_bytes = 4096\nrequest_timeout_sec = 2\n", "",
                CoreHttpTest::testRoutes)) {
            String body = "x".repeat(2000);
            try (RawClient holder = new RawClient(srv.port, 10_000); RawClient waiter = new RawClient(srv.port, 10_000)) {
                // 4000 bytes declared: the whole 4 KiB budget, held while the body trickles in.
                holder.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" + "a".repeat(100));
                TestServer.awaitTrue("the holder's body is being read", Duration.ofSeconds(5),
                    () -> srv.bodyBudgetAvailableKiB() == 0);
                CompletableFuture<RawClient.Response> waited = CompletableFuture.supplyAsync(() -> {
                    try {
                        return waiter.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + body).read();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                holder.send("a".repeat(3900));
                assertEquals(4000, holder.read().body().length);
                RawClient.Response r = waited.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(200, r.status(), "served once the holder's budget came back");
                assertEquals(body, r.bodyText());
            }
            try (RawClient holder = new RawClient(srv.port, 10_000); RawClient waiter = new RawClient(srv.port, 10_000)) {
                // The waiter's request clock starts first, so its deadline passes while the holder still holds the
                // budget. The holder sends all but one byte at once: ahead of its pace, it is cut only by its deadline.
                waiter.send("P");
                Thread.sleep(300);  // the gap between the two deadlines, not synchronisation
                holder.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" + "a".repeat(3999));
                TestServer.awaitTrue("the holder's body is being read", Duration.ofSeconds(5),
                    () -> srv.bodyBudgetAvailableKiB() == 0);
                RawClient.Response r = waiter.send("OST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + body).read();
                assertEquals(503, r.status());
                assertEquals("1", r.header("Retry-After"));
                assertTrue(r.bodyText().contains("overloaded"), r.bodyText());
                RawClient.Response cut = holder.read();
                assertEquals(408, cut.status(), "the stalled holder times out");
                assertTrue(cut.bodyText().contains("not received within"), cut.bodyText());
            }
            TestServer.awaitTrue("budget returned", Duration.ofSeconds(5), () -> srv.bodyBudgetAvailableKiB() == 4);
            // A holder that trickles its body holds the budget only for the grace second: it must keep pace with its
            // reservation arriving within request_timeout_sec. The waiter behind it is served, not refused.
            try (RawClient holder = new RawClient(srv.port, 10_000); RawClient waiter = new RawClient(srv.port, 10_000)) {
                long start = System.nanoTime();
                holder.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" + "a".repeat(100)); // and stalls
                TestServer.awaitTrue("the holder's body is being read", Duration.ofSeconds(5),
                    () -> srv.bodyBudgetAvailableKiB() == 0);
                RawClient.Response r = waiter.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + body).read();
                assertEquals(200, r.status(), r.bodyText());
                RawClient.Response cut = holder.read();
                assertEquals(408, cut.status());
                assertTrue(cut.bodyText().contains("request body too slow: 100 of 4096 reserved bytes"), cut.bodyText());
                assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1900), "cut before its request deadline");
            }
            TestServer.awaitTrue("budget returned", Duration.ofSeconds(5), () -> srv.bodyBudgetAvailableKiB() == 4);
        }
    }
}
