package io.weaseldb.metrics;

import static io.weaseldb.metrics.MetricsTestSupport.readQuietly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.weaseldb.server.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped alerting rules ({@code deploy/helm/weaseldb/files/weaseldb-alerts.yml}, also the chart's
 * PrometheusRule): valid for Prometheus' own
 * {@code promtool check rules}, firing when and only when their unit tests say ({@code promtool test rules}), and
 * naming only metrics a running server exports.
 */
class AlertRulesTest {
    private static final Path RULES = Path.of("deploy/helm/weaseldb/files/weaseldb-alerts.yml");
    private static final Path RULE_TESTS = Path.of("deploy/helm/weaseldb/files/weaseldb-alerts-test.yml");
    private static final Pattern METRIC = Pattern.compile("\\bweaseldb_[a-z0-9_]+\\b");

    @TempDir
    Path tmp;

    @Test
    void rulesAreValid() throws Exception {
        String out = promtool("check", "rules", RULES.toString());
        assertTrue(out.contains("SUCCESS: 4 rules found"), out);
    }

    @Test
    void alertsFireWhenTheirTestsSay() throws Exception {
        String out = promtool("test", "rules", RULE_TESTS.toString());
        assertTrue(out.contains("SUCCESS"), out);
    }

    @Test
    void rulesNameOnlyExportedMetrics() throws IOException {
        Set<String> named = new TreeSet<>();
        Matcher m = METRIC.matcher(Files.readString(RULES));
        while (m.find()) named.add(m.group());
        assertTrue(named.size() >= 4, named.toString());
        try (TestServer srv = TestServer.start()) {
            Set<String> exported = MetricsTestSupport.sampleNames(MetricsTestSupport.scrape(srv.port));
            named.removeAll(exported);
            // Counters with labels appear once something was counted: the rejection counter is created eagerly.
            assertEquals(Set.of(), named, "metrics the rules name that the server does not export");
        }
    }

    /** Runs promtool; returns its output, failing unless it exits 0. */
    private String promtool(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = PromtoolCheckTest.promtool();
        System.arraycopy(args, 0, command, 1, args.length);
        Path out = tmp.resolve("promtool.out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) fail("promtool " + String.join(" ", args) + " did not finish within 60 s");
            String text = readQuietly(out);
            assertEquals(0, p.exitValue(), () -> "promtool " + String.join(" ", args) + ":\n" + text);
            return text;
        } finally {
            p.destroyForcibly();
        }
    }
}
