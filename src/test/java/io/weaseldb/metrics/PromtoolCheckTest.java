package io.weaseldb.metrics;

import static io.weaseldb.metrics.MetricsTestSupport.commit;
import static io.weaseldb.metrics.MetricsTestSupport.get;
import static io.weaseldb.metrics.MetricsTestSupport.readQuietly;
import static io.weaseldb.metrics.MetricsTestSupport.sampleNames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's exposition, after real traffic, checked by Prometheus' own {@code promtool check metrics}.
 *
 * <p>promtool 2.42 exits 0 when clean, 3 when the text parses but has lint problems (listed on stderr),
 * and 1 when it does not parse. It reads only the Prometheus text format, so the OpenMetrics variant is
 * checked here for its framing and by a real Prometheus in {@link PrometheusScrapeTest} (which negotiates
 * OpenMetrics when scraping).
 */
class PromtoolCheckTest {
    private static final int PROMTOOL_LINT_PROBLEMS = 3;

    static TestServer srv;
    static String text;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startAndExercise() throws IOException {
        srv = TestServer.start();
        commit(srv.port);
        assertEquals(200, get(srv.port, "/ok").status());
        text = MetricsTestSupport.scrape(srv.port);
    }

    @AfterAll
    static void stop() {
        if (srv != null) srv.close();
    }

    @Test
    void prometheusTextParsesAndWeaseldbMetricsAreLintClean() throws Exception {
        PromtoolResult r = promtoolCheckMetrics(text);
        assertTrue(r.exitCode == 0 || r.exitCode == PROMTOOL_LINT_PROBLEMS,
            () -> "promtool check metrics failed to parse the exposition (exit " + r.exitCode + "):\n" + r.output);
        List<String> ours = r.output.lines().filter(l -> l.startsWith("weaseldb_")).toList();
        assertTrue(ours.isEmpty(), () -> "promtool lint problems in weaseldb metrics:\n" + String.join("\n", ours));
    }

    /**
     * Micrometer's ProcessorMetrics binder exports {@code process_cpu_time_ns_total} ("abbreviated units")
     * and {@code system_cpu_count} ("_count" suffix on a gauge); see the report for the MeterFilter fix.
     */
    @Test
    void wholeExpositionIsLintClean() throws Exception {
        PromtoolResult r = promtoolCheckMetrics(text);
        assertEquals(0, r.exitCode, () -> "promtool check metrics:\n" + r.output);
    }

    @Test
    void prometheusTextIsTheDefault() throws IOException {
        RawClient.Response r = get(srv.port, "/metrics");
        assertEquals(200, r.status());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.header("Content-Type"));
        assertFalse(r.bodyText().contains("# EOF"), "Prometheus text has no EOF marker");
        assertTrue(sampleNames(r.bodyText()).contains("weaseldb_http_requests_total"), r::bodyText);
    }

    @Test
    void openMetricsWhenAcceptAsksForIt() throws IOException {
        RawClient.Response r = get(srv.port, "/metrics", "Accept: application/openmetrics-text; version=1.0.0\r\n");
        assertEquals(200, r.status());
        String contentType = r.header("Content-Type");
        assertTrue(contentType.startsWith("application/openmetrics-text; version=1.0.0"), contentType);
        String body = r.bodyText();
        assertTrue(body.endsWith("# EOF\n"), () -> "OpenMetrics must end with '# EOF': ..."
            + body.substring(Math.max(0, body.length() - 200)));
        assertEquals(body.length() - "# EOF\n".length(), body.indexOf("# EOF"), "exactly one '# EOF', at the end");
        // OpenMetrics names the counter family without _total, the sample keeps it.
        assertTrue(body.contains("# TYPE weaseldb_http_requests counter\n"), "counter family line");
        assertTrue(sampleNames(body).contains("weaseldb_http_requests_total"), "counter sample");
        assertTrue(sampleNames(body).contains("weaseldb_commits_total"), "commits counter sample");
    }

    // ---------------------------------------------------------------------------------------------

    record PromtoolResult(int exitCode, String output) { }

    private PromtoolResult promtoolCheckMetrics(String exposition) throws IOException, InterruptedException {
        Path out = tmp.resolve("promtool.out");
        Process p = new ProcessBuilder(promtool(), "check", "metrics")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(exposition.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) fail("promtool check metrics did not finish within 30 s");
            return new PromtoolResult(p.exitValue(), readQuietly(out));
        } finally {
            p.destroyForcibly();
        }
    }

    /** promtool from PATH or /usr/bin; CI installs Debian's prometheus package, so absence is a failure. */
    static String promtool() {
        return findExecutable("promtool");
    }

    static String findExecutable(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) return candidate.toString();
        }
        return fail(name + " not found on PATH or in /usr/bin: install Debian's 'prometheus' package "
            + "(apt-get install prometheus; .ci/run does this)");
    }
}
