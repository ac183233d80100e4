package io.weaseldb.metrics;

import static io.weaseldb.metrics.MetricsTestSupport.commit;
import static io.weaseldb.metrics.MetricsTestSupport.get;
import static io.weaseldb.metrics.MetricsTestSupport.sampleNames;
import static io.weaseldb.metrics.MetricsTestSupport.scrape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.deploy.DashboardTest;
import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every metric the Grafana dashboard queries is in a running server's {@code /metrics}: a panel on a
 * name the server does not export shows "No data" forever, which no JSON check of the dashboard catches.
 */
class DashboardMetricsExistTest {
    /** From the change feed, built in parallel: pending until it is merged. */
    static final Set<String> PENDING_CHANGE_FEED = Set.of("weaseldb_subscribers", "weaseldb_subscribers_disconnected_total");

    /**
     * Tagged counters Micrometer would register only on their first increment (absent, not 0, until the first
     * rejected connection, parse error or timeout, so rate() panels would show "No data" on a healthy server);
     * the server registers their known label values at 0 at start.
     */
    static final Set<String> PENDING_LAZY = Set.of("weaseldb_connections_rejected_total",
        "weaseldb_http_parse_errors_total", "weaseldb_http_timeouts_total");

    @Test
    void dashboardMetricsExistOnceEveryPathWasTaken() throws IOException {
        // A tiny connection limit and the shortest request timeout, so rejection and timeout are cheap to cause.
        try (TestServer srv = TestServer.start("max_connections = 1\nrequest_timeout_sec = 1\n", "")) {
            exerciseEveryPath(srv);
            assertExported(srv, without(DashboardTest.metricNamesReferenced(), PENDING_CHANGE_FEED));
        }
    }

    @Test
    void dashboardMetricsExistBeforeAnyError() throws IOException {
        try (TestServer srv = TestServer.start()) {
            exerciseHappyPath(srv);
            assertExported(srv, without(DashboardTest.metricNamesReferenced(), union(PENDING_CHANGE_FEED, PENDING_LAZY)));
        }
    }

    @Test
    void errorCountersExistBeforeTheirFirstIncrement() throws IOException {
        try (TestServer srv = TestServer.start()) {
            exerciseHappyPath(srv);
            assertExported(srv, PENDING_LAZY);
        }
    }

    /**
     * The README says error counters are registered at 0 for every known label value: every value its metrics
     * table lists for a counter is exported by a fresh server (a missing one shows "No data" until the first
     * such error, and alert rules on it never fire).
     */
    @Test
    void everyCounterLabelValueTheReadmeListsExistsBeforeItsFirstIncrement() throws IOException {
        Set<String> expected = readmeCounterLabelValues();
        assertTrue(expected.size() >= 10, () -> "the README's metrics table looks unparsed: " + expected);
        try (TestServer srv = TestServer.start()) {
            exerciseHappyPath(srv);
            String exposition = scrape(srv.port);
            for (String series : expected) {
                assertTrue(exposition.lines().anyMatch(l -> l.startsWith(series.substring(0, series.indexOf('{')) + "{")
                        && l.contains(series.substring(series.indexOf('{') + 1, series.length() - 1))),
                    () -> "README lists " + series + " but a fresh server does not export it");
            }
        }
    }

    /** "name{label=\"value\"}" for every value in the labels column of a README counter row. */
    private static Set<String> readmeCounterLabelValues() throws IOException {
        Set<String> out = new TreeSet<>();
        Pattern row = Pattern.compile("^\\| `(weaseldb_\\w+_total)` \\| counter \\| `(\\w+)` \\(([^)]*)\\)");
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            Matcher m = row.matcher(line);
            if (!m.find()) continue;
            Matcher v = Pattern.compile("`(\\w+)`").matcher(m.group(3));
            while (v.find()) {
                out.add(m.group(1) + "{" + m.group(2) + "=\"" + v.group(1) + "\"}");
            }
        }
        return out;
    }

    @Test
    void subscriberMetricsExist() throws IOException {
        try (TestServer srv = TestServer.start()) {
            exerciseHappyPath(srv);
            assertExported(srv, PENDING_CHANGE_FEED);
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static void exerciseHappyPath(TestServer srv) throws IOException {
        // One connection per request: with max_connections = 1 each must wait until the server has counted the
        // previous one closed (the client sees the close before the server's thread finishes).
        commit(srv.port);
        srv.awaitNoConnections();
        assertEquals(200, get(srv.port, "/v1/status?request_id=dashboard-metrics-status-query-0001").status());
        srv.awaitNoConnections();
        assertEquals(200, get(srv.port, "/ok").status());
        srv.awaitNoConnections();
        assertEquals(404, get(srv.port, "/no-such-path").status());
        srv.awaitNoConnections();
    }

    /** The happy path, then a parse error, a connection over the limit and a request timeout. */
    private static void exerciseEveryPath(TestServer srv) throws IOException {
        exerciseHappyPath(srv);

        try (RawClient c = new RawClient(srv.port)) {
            assertEquals(400, c.send("GARBAGE\r\n\r\n").read().status(), "garbage request line");
        }
        srv.awaitNoConnections();

        try (RawClient holder = new RawClient(srv.port)) {
            // The answered keep-alive request proves the server counts this connection before the next arrives.
            assertEquals(200, holder.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
            try (RawClient over = new RawClient(srv.port)) {
                RawClient.Response r = over.read();
                assertEquals(503, r.status(), () -> "over max_connections = 1: " + r.bodyText());
            }
        }
        srv.awaitNoConnections();

        try (RawClient silent = new RawClient(srv.port)) {
            // Sends nothing: request_timeout_sec = 1 answers 408 and counts a timeout.
            assertEquals(408, silent.read().status(), "request timeout");
        }
        srv.awaitNoConnections();
    }

    /**
     * Scrapes until every expected name is present, within a short deadline: JvmGcMetrics registers
     * {@code jvm_gc_pause_seconds} on the first GC notification (asynchronous), so a young JVM that has not
     * collected yet is given one System.gc(). In production the first GC comes within seconds of start.
     */
    private static void assertExported(TestServer srv, Set<String> expected) throws IOException {
        assertTrue(DashboardTest.metricNamesReferenced().contains("weaseldb_http_requests_total"),
            () -> "the dashboard's metric extraction looks broken: " + DashboardTest.metricNamesReferenced());
        Set<String> missing = missing(srv, expected);
        if (missing.stream().anyMatch(n -> n.startsWith("jvm_gc_pause_"))) System.gc();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!missing.isEmpty() && System.nanoTime() - deadline < 0) {
            sleepQuietly(20); // polling interval of a poll-with-deadline, not a synchronisation
            missing = missing(srv, expected);
        }
        Set<String> finalMissing = missing;
        assertTrue(missing.isEmpty(), () -> "dashboard queries metrics missing from GET /metrics: " + finalMissing);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Set<String> missing(TestServer srv, Set<String> expected) throws IOException {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(sampleNames(scrape(srv.port)));
        return missing;
    }

    private static Set<String> without(Set<String> all, Set<String> excluded) {
        Set<String> s = new TreeSet<>(all);
        s.removeAll(excluded);
        return s;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new TreeSet<>(a);
        s.addAll(b);
        return s;
    }
}
