package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.http.Method;
import io.weaseldb.http.Route;
import io.weaseldb.http.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP/1.1 behaviour of a running server, through real sockets on loopback. */
class CoreHttpTest {
    static TestServer srv;
    /** Times DELETE /effect ran: a request's side effect. */
    static final java.util.concurrent.atomic.AtomicInteger EFFECTS = new java.util.concurrent.atomic.AtomicInteger();

    /** POST /echo answers the body it read; GET /big answers {@code n} bytes; DELETE /effect counts its calls. */
    static void testRoutes(Router r) {
        r.exact("/echo", new Route("/echo", Method.POST, null, ex -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            ex.readBody(body::write);
            ex.respond(200, "application/octet-stream", body.toByteArray());
        }));
        r.exact("/big", new Route("/big", Method.GET, null, ex -> {
            int n = Integer.parseInt(ex.request().queryParam("n"));
            byte[] b = new byte[n];
            java.util.Arrays.fill(b, (byte) 'x');
            ex.respond(200, "text/plain", b);
        }));
        r.exact("/effect", new Route("/effect", Method.DELETE, null, ex -> {
            EFFECTS.incrementAndGet();
            ex.respond(204, null, new byte[0]);
        }));
        r.exact("/header", new Route("/header", Method.GET, null, ex -> {
            String v = ex.request().header(ex.request().queryParam("name"));
            ex.respond(200, "text/plain", (v == null ? "-" : v).getBytes(StandardCharsets.ISO_8859_1));
        }));
    }

    @BeforeAll
    static void start() {
        srv = TestServer.start("max_request_size_bytes = 100000\n", "", CoreHttpTest::testRoutes);
    }

    @AfterAll
    static void stop() {
        srv.close();
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    @Test
    void okWithHttpClient() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + srv.port + "/ok")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("OK", r.body());
        assertEquals("text/plain", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(r.headers().firstValue("date").isPresent());
    }

    /**
     * Requests start in a 4 KiB read buffer and move to a large one when a head or body outgrows it, at the
     * same offsets: header views and pipelined leftovers must survive the move, and the next small request
     * goes back to a small buffer. Sent whole and in small pieces, so the move happens mid-head and mid-body.
     */
    @Test
    void headsAndBodiesOutgrowingTheSmallReadBufferStayIntact() throws Exception {
        String big = "v".repeat(9000) + "-end";
        String body = "b".repeat(6000) + "-tail";
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 30; i++) all.append(get("/ok"));  // leftovers push the next head toward the end
        all.append("GET /header?name=X-Big HTTP/1.1\r\nHost: x\r\nX-Big: ").append(big).append("\r\n\r\n");
        all.append("POST /echo HTTP/1.1\r\nHost: x\r\nX-Pad: ").append("p".repeat(3500))
            .append("\r\nContent-Length: ").append(body.length()).append("\r\n\r\n").append(body);
        all.append("GET /header?name=X-Small HTTP/1.1\r\nHost: x\r\nX-Small: small\r\n\r\n");
        byte[] bytes = all.toString().getBytes(StandardCharsets.ISO_8859_1);
        for (int piece : new int[] {bytes.length, 1000, 97}) {
            try (RawClient c = new RawClient(srv.port)) {
                for (int at = 0; at < bytes.length; at += piece) {
                    c.send(java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + piece)));
                }
                for (int i = 0; i < 30; i++) assertEquals("OK", c.read().bodyText(), "piece " + piece);
                assertEquals(big, c.read().bodyText(), "a 9 KiB header read after the move (piece " + piece + ")");
                assertEquals(body, c.read().bodyText(), "a body after a 3.5 KiB head (piece " + piece + ")");
                assertEquals("small", c.read().bodyText());
                assertEquals(200, c.send(get("/ok")).read().status());
            }
        }
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            for (int i = 0; i < 50; i++) {
                RawClient.Response r = c.send(get("/ok")).read();
                assertEquals(200, r.status());
                assertEquals("OK", r.bodyText());
                assertEquals("2", r.header("Content-Length"));
                assertNotNull(r.header("Date"));
                assertNull(r.header("Connection"));
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            sb.append(i % 3 == 1 ? get("/missing-" + i) : i % 3 == 2
                ? "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n" + String.format("%03d", i)
                : get("/ok"));
        }
        try (RawClient c = new RawClient(srv.port)) {
            c.send(sb.toString());
            for (int i = 0; i < 32; i++) {
                RawClient.Response r = c.read();
                if (i % 3 == 1) {
                    assertEquals(404, r.status(), "response " + i);
                    assertTrue(r.bodyText().contains("/missing-" + i));
                } else if (i % 3 == 2) {
                    assertEquals(String.format("%03d", i), r.bodyText());
                } else {
                    assertEquals("OK", r.bodyText());
                }
            }
        }
    }

    /**
     * Answers to pipelined requests buffered before an error are still sent, in order, before the error: the
     * error must not discard them (a POST before it may have changed state, and its client must learn that).
     */
    @Test
    void answersBufferedBeforeAMalformedPipelinedRequestGoFirst() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            c.send(get("/ok") + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nsent" + get("/ok")
                + "GET /ok HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n");
            assertEquals("OK", c.read().bodyText());
            assertEquals("sent", c.read().bodyText());
            assertEquals("OK", c.read().bodyText());
            RawClient.Response error = c.read();
            assertEquals(400, error.status());
            assertEquals("close", error.header("Connection"));
            assertTrue(c.closedByServer());
        }
    }

    /**
     * Answers held back to go out with the next pipelined request's are sent once that request's rest has to be
     * waited for (its head or its body cut by the client's write), not when it completes: the 3 s read timeout
     * is well inside the 10 s request timeout that would otherwise release them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"G", "GET /ok HTTP/1.1\r\nHo", "\r", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nse"})
    void answersAreNotHeldWhileTheNextRequestIsIncomplete(String cut) throws Exception {
        try (RawClient c = new RawClient(srv.port, 3_000)) {
            c.send(get("/ok") + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nsent" + cut);
            assertEquals("OK", c.read().bodyText());
            assertEquals("sent", c.read().bodyText());
        }
    }

    /** A client that pipelines, then half-closes in the middle of a request, still gets the earlier answers. */
    @Test
    void answersBufferedWhenTheClientHalfClosesMidRequestAreDelivered() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            c.send(get("/ok") + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nsent" + "GET /o");
            c.socket.shutdownOutput();
            assertEquals("OK", c.read().bodyText());
            assertEquals("sent", c.read().bodyText());
            assertTrue(c.closedByServer());
        }
    }

    /** Bytes after a CONNECT may be meant for the tunnel the client asked for: they are never parsed as requests. */
    @Test
    void connectIsNotImplementedAndClosesTheConnection() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send("CONNECT db.example.com:443 HTTP/1.1\r\nHost: db.example.com:443\r\n\r\n"
                + get("/ok")).read();
            assertEquals(501, r.status());
            assertTrue(r.bodyText().contains("not_implemented"), r.bodyText());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByServer(), "the pipelined GET is not answered");
        }
    }

    @Test
    void http10ClosesUnlessKeepAliveAsked() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send("GET /ok HTTP/1.0\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByServer());
        }
        try (RawClient c = new RawClient(srv.port)) {
            for (int i = 0; i < 3; i++) {
                RawClient.Response r = c.send("GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("Connection"));
            }
        }
    }

    @Test
    void headHasLengthButNoBody() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send("HEAD /ok HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
            assertEquals(200, r.status());
            assertEquals("2", r.header("Content-Length"));
            // the next response must start right away: no body bytes in between
            assertEquals("OK", c.send(get("/ok")).read().bodyText());
        }
    }

    @Test
    void unknownPathAndWrongMethod() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send(get("/nope")).read();
            assertEquals(404, r.status());
            assertTrue(r.bodyText().contains("\"error\":\"not_found\""));
            r = c.send("POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").read();
            assertEquals(405, r.status());
            assertEquals("GET, HEAD, OPTIONS", r.header("Allow"));
            assertEquals(200, c.send(get("/ok")).read().status(), "connection stays usable after 404/405");
            r = c.send("OPTIONS /ok HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("0", r.header("Content-Length"));
            assertEquals("GET, HEAD, OPTIONS", r.header("Allow"));
            assertEquals(404, c.send("OPTIONS /nope HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
            r = c.send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("0", r.header("Content-Length"));
            assertTrue(r.header("Allow").contains("POST"));
            // Client text is quoted cut short: a 4000-byte method or path does not come back whole.
            r = c.send("A".repeat(4000) + " /ok HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(405, r.status());
            assertTrue(r.bodyText().length() < 700 && r.bodyText().contains("A…"), r.bodyText());
            r = c.send(get("/" + "p".repeat(4000))).read();
            assertEquals(404, r.status());
            assertTrue(r.bodyText().length() < 400 && r.bodyText().contains("p…"), r.bodyText());
        }
    }

    @Test
    void aPathWithEscapedUnreservedCharactersRoutesAsItsDecodedForm() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            assertEquals("OK", c.send(get("/%6Fk")).read().bodyText());
            assertEquals("OK", c.send(get("/%6f%6B?x=%41")).read().bodyText());
            // A reserved character stays escaped: %2F is not a '/'.
            RawClient.Response r = c.send(get("/v1%2fversion")).read();
            assertEquals(404, r.status());
            assertTrue(r.bodyText().contains("/v1%2Fversion"), r.bodyText());
        }
    }

    @Test
    void malformedRequestGets400AndClose() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send("GET /ok HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n" + get("/ok")).read();
            assertEquals(400, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(r.bodyText().startsWith("{\"error\":\"bad_request\""));
            assertTrue(c.closedByServer(), "nothing parsed after an error");
        }
    }

    @Test
    void smugglingAttemptIsRefusedAndNothingBehindItIsServed() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n" + get("/ok"));
            assertEquals(400, c.read().status());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void chunkedBodyAndExpectContinue() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n").read();
            assertEquals("hello world", r.bodyText());
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertEquals(100, c.read().status());
            r = c.send("abcde").read();
            assertEquals(200, r.status());
            assertEquals("abcde", r.bodyText());
        }
    }

    @Test
    void aBodyTheHandlerIgnoresIsReadBeforeTheAnswerAndKeepsTheConnection() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            c.send("GET /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                + "GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + get("/nope"));
            assertEquals(200, c.read().status());
            assertEquals(200, c.read().status());
            assertEquals(404, c.read().status());
        }
    }

    @Test
    void aMalformedBodyTheHandlerIgnoresIsAnsweredWithItsErrorNotTheHandlersAnswer() throws Exception {
        String[] requests = {
            // chunk data not followed by CRLF
            "GET /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
            // a chunk size that is not hex, on a path with no route
            "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            // a wrong method on a known path
            "DELETE /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\"\r\nhello\r\n0\r\n\r\n",
        };
        for (String request : requests) {
            RawClient.Response r = refusedAndClosed(request + get("/ok"), 400);
            assertTrue(r.bodyText().startsWith("{\"error\":\"bad_request\""), r.bodyText());
        }
        // a chunked body over max_request_size_bytes (100000)
        refusedAndClosed("GET /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n186a1\r\n", 413);
    }

    /** Sends {@code request} on a new connection, which must be answered {@code status} and then closed. */
    private static RawClient.Response refusedAndClosed(String request, int status) throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send(request).read();
            assertEquals(status, r.status(), request);
            assertEquals("close", r.header("Connection"), request);
            assertTrue(c.closedByServer(), "nothing parsed after an error: " + request);
            return r;
        }
    }

    @Test
    void aDeleteWithAMalformedBodyHasNoEffect() throws Exception {
        int before = EFFECTS.get();
        refusedAndClosed("DELETE /effect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400);
        assertEquals(before, EFFECTS.get(), "the handler must not run for a malformed request");
        try (RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send("DELETE /effect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n" + get("/ok")).read();
            assertEquals(204, r.status());
            assertEquals(200, c.read().status());
        }
        assertEquals(before + 1, EFFECTS.get());
    }

    @Test
    void tooLargeBodyIsRefusedFromContentLengthBeforeReadingIt() throws Exception {
        refusedAndClosed("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100001\r\nExpect: 100-continue\r\n\r\n", 413);
    }

    @Test
    void halfClosedClientStillGetsItsAnswer() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            c.send(get("/ok") + get("/ok"));
            c.socket.shutdownOutput();
            assertEquals("OK", c.read().bodyText());
            assertEquals("OK", c.read().bodyText());
            assertTrue(c.closedByServer());
        }
        srv.awaitNoConnections();
    }

    @Test
    void clientsThatResetMidRequestLeakNothing() throws Exception {
        for (int i = 0; i < 50; i++) {
            RawClient c = new RawClient(srv.port);
            c.send(i % 2 == 0 ? "GET /ok HTTP/1.1\r\nHo" : "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc");
            c.socket.setSoLinger(true, 0); // close with RST
            c.close();
        }
        srv.awaitNoConnections();
        try (RawClient c = new RawClient(srv.port)) {
            assertEquals(200, c.send(get("/ok")).read().status());
        }
    }

    @Test
    void slowReaderDoesNotStallOthers() throws Exception {
        try (RawClient slow = new RawClient(srv.port)) {
            // Far more response bytes than the socket buffers hold: the server's writer must park, not spin or block others.
            slow.send((get("/big?n=60000")).repeat(100));
            try (RawClient other = new RawClient(srv.port, 2_000)) {
                for (int i = 0; i < 20; i++) assertEquals(200, other.send(get("/ok")).read().status());
            }
            for (int i = 0; i < 100; i++) {
                RawClient.Response r = slow.read();
                assertEquals(60000, r.body().length);
            }
        }
    }

    @Test
    void slowWriterByteByByteIsServed() throws Exception {
        byte[] req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nslow".getBytes(StandardCharsets.US_ASCII);
        try (RawClient c = new RawClient(srv.port)) {
            for (byte b : req) c.send(new byte[] {b});
            assertEquals("slow", c.read().bodyText());
        }
    }

    @Test
    void metricsEndpointServesPrometheusText() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            c.send(get("/ok")).read();
            RawClient.Response r = c.send(get("/metrics")).read();
            assertEquals(200, r.status());
            assertTrue(r.header("Content-Type").startsWith("text/plain; version=0.0.4"));
            assertTrue(r.bodyText().contains("weaseldb_http_requests_total{method=\"GET\",route=\"/ok\",status=\"200\"}"),
                r.bodyText());
            // The router's own answers share one label: never the raw path.
            c.send(get("/no-such-path")).read();
            c.send("DELETE /ok HTTP/1.1\r\nHost: x\r\n\r\n").read();
            String text = c.send(get("/metrics")).read().bodyText();
            assertTrue(text.contains("weaseldb_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"), text);
            assertTrue(text.contains("weaseldb_http_requests_total{method=\"DELETE\",route=\"unmatched\",status=\"405\"}"), text);
            assertFalse(text.contains("no-such-path"), "no raw path as a label");
            r = c.send("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n").read();
            assertTrue(r.header("Content-Type").startsWith("application/openmetrics-text"));
            assertTrue(r.bodyText().endsWith("# EOF\n"));
        }
    }

    @Test
    void readyAndLiveAre200WhileRunning() throws Exception {
        try (RawClient c = new RawClient(srv.port)) {
            assertEquals(200, c.send(get("/ready")).read().status());
            RawClient.Response live = c.send(get("/live")).read();
            assertEquals(200, live.status());
            assertEquals("{\"live\":true}", live.bodyText());
        }
    }
}
