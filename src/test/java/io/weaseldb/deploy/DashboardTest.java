package io.weaseldb.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.weaseldb.JsonTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks grafana/weaseldb-dashboard.json: valid JSON, importable shape, every query on the
 * {@code ${datasource}} variable, and every metric it queries is one the server exports.
 *
 * <p>{@link #metricNamesReferenced()} is the hook for the end-to-end check against a running
 * server's {@code /metrics}.
 */
public class DashboardTest {
    static final Path DASHBOARD = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
            .resolve("grafana/weaseldb-dashboard.json");

    /**
     * Sample names the server exports (Prometheus text format), i.e. the catalogue the
     * dashboard may draw on. Histograms appear as their _bucket/_sum/_count samples.
     */
    static final Set<String> EXPORTED = Set.of(
            "weaseldb_connections_open", "weaseldb_connections_accepted_total", "weaseldb_connections_rejected_total",
            "weaseldb_http_requests_total",
            "weaseldb_http_request_duration_seconds_bucket", "weaseldb_http_request_duration_seconds_sum",
            "weaseldb_http_request_duration_seconds_count",
            "weaseldb_http_read_bytes_total", "weaseldb_http_written_bytes_total",
            "weaseldb_http_parse_errors_total", "weaseldb_http_timeouts_total",
            "weaseldb_pipeline_queue_depth", "weaseldb_pipeline_wait_seconds_bucket", "weaseldb_pipeline_service_seconds_bucket",
            "weaseldb_pipeline_batch_size_sum", "weaseldb_pipeline_batch_size_count", "weaseldb_pipeline_rejected_total",
            "weaseldb_commits_total", "weaseldb_commit_conflicts_total", "weaseldb_commit_version",
            "weaseldb_storage_fsync_seconds_bucket",
            "weaseldb_storage_group_commit_size_sum", "weaseldb_storage_group_commit_size_count",
            "weaseldb_storage_usable_bytes", "weaseldb_storage_failed",
            "weaseldb_subscribers", "weaseldb_subscribers_disconnected_total",
            "jvm_memory_used_bytes", "jvm_gc_pause_seconds_sum", "jvm_gc_pause_seconds_count",
            "jvm_threads_live_threads", "process_cpu_usage", "system_cpu_usage");

    /** Gauges: never under rate(); everything else in {@link #EXPORTED} is a counter or histogram sample. */
    private static final Set<String> GAUGES = Set.of("weaseldb_connections_open", "weaseldb_pipeline_queue_depth",
            "weaseldb_commit_version", "weaseldb_storage_usable_bytes", "weaseldb_storage_failed", "weaseldb_subscribers", "jvm_memory_used_bytes", "jvm_threads_live_threads",
            "process_cpu_usage", "system_cpu_usage");

    private static final Pattern METRIC = Pattern.compile("\\b(?:weaseldb|jvm|process|system)_[a-z0-9_]+\\b");
    private static final Pattern RATED = Pattern.compile("\\b(?:rate|increase|irate)\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    private static final Pattern QUANTILE_OF = Pattern.compile(
            "histogram_quantile\\(\\s*[0-9.]+\\s*,\\s*sum by \\(([^)]*)\\)\\s*\\(\\s*rate\\(([a-z0-9_]+)\\{");
    private static final String DATASOURCE_VAR = "${datasource}";

    /**
     * Every metric sample name queried by the dashboard's panels and variables, exactly as it
     * appears at the start of a sample line of the server's Prometheus text exposition:
     * counters keep {@code _total}, histograms are queried through their {@code _bucket},
     * {@code _sum} or {@code _count} samples and are listed that way. To compare with a live
     * scrape, take the name before '{' or ' ' of every non-comment line of GET /metrics; no
     * suffix stripping is needed (use {@link #familyName} only to compare with # TYPE lines).
     */
    public static Set<String> metricNamesReferenced() {
        Set<String> names = new TreeSet<>();
        for (String query : queries(load())) {
            Matcher m = METRIC.matcher(query);
            while (m.find()) names.add(m.group());
        }
        return Collections.unmodifiableSet(names);
    }

    /** The metric family of a sample name: strips a histogram/summary's _bucket, _sum or _count. */
    public static String familyName(String sampleName) {
        return sampleName.replaceFirst("_(?:bucket|sum|count)$", "");
    }

    @Test
    void isAnImportableDashboard() {
        Map<String, Object> dashboard = load();
        assertTrue(((Number) dashboard.get("schemaVersion")).intValue() >= 36, "schemaVersion");
        assertEquals("weaseldb-overview", dashboard.get("uid"));
        assertFalse(((String) dashboard.get("title")).isBlank());
        assertNull(dashboard.get("id"), "id must be null so import creates the dashboard");
        assertTrue(panels(dashboard).size() >= 20, "panels");
    }

    @Test
    void hasDatasourceVariableAndEveryQueryUsesIt() {
        Map<String, Object> dashboard = load();
        Map<String, Object> variable = variables(dashboard).stream()
                .filter(v -> "datasource".equals(v.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no templating variable named datasource"));
        assertEquals("datasource", variable.get("type"));
        assertEquals("prometheus", variable.get("query"));

        for (Map<String, Object> panel : panels(dashboard)) {
            if ("row".equals(panel.get("type"))) continue;
            String title = (String) panel.get("title");
            assertEquals(DATASOURCE_VAR, uid(panel.get("datasource")), () -> title + ": panel datasource");
            List<Map<String, Object>> targets = list(panel.get("targets"));
            assertFalse(targets.isEmpty(), () -> title + ": no query");
            for (Map<String, Object> target : targets) {
                assertEquals(DATASOURCE_VAR, uid(target.get("datasource")), () -> title + ": target datasource");
                assertFalse(((String) target.get("expr")).isBlank(), () -> title + ": empty expr");
            }
        }
    }

    @Test
    void panelsHaveUniqueIdsAndDoNotOverlap() {
        Set<Object> ids = new HashSet<>();
        List<int[]> boxes = new ArrayList<>();
        for (Map<String, Object> panel : panels(load())) {
            assertTrue(ids.add(panel.get("id")), () -> "duplicate panel id " + panel.get("id"));
            Map<String, Object> g = map(panel.get("gridPos"));
            int x = num(g, "x"), y = num(g, "y"), w = num(g, "w"), h = num(g, "h");
            assertTrue(x >= 0 && w > 0 && x + w <= 24 && h > 0, () -> panel.get("title") + ": gridPos " + g);
            for (int[] b : boxes) {
                boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                assertFalse(overlap, () -> panel.get("title") + " overlaps another panel");
            }
            boxes.add(new int[] {x, y, w, h});
        }
    }

    @Test
    void queriesOnlyExportedMetricsAndCoversEachFamily() {
        Set<String> referenced = metricNamesReferenced();
        Set<String> unknown = new TreeSet<>(referenced);
        unknown.removeAll(EXPORTED);
        assertTrue(unknown.isEmpty(), () -> "dashboard queries metrics the server does not export: " + unknown);

        Set<String> families = new TreeSet<>();
        EXPORTED.forEach(n -> families.add(familyName(n)));
        referenced.forEach(n -> families.remove(familyName(n)));
        assertTrue(families.isEmpty(), () -> "metric families without a panel: " + families);
    }

    @Test
    void queriesAreWellFormed() {
        for (String query : queries(load())) {
            assertTrue(balanced(query), () -> "unbalanced brackets or quotes: " + query);
            Matcher rated = RATED.matcher(query);
            while (rated.find()) {
                String metric = rated.group(1);
                assertFalse(GAUGES.contains(metric), () -> "rate() over gauge " + metric + ": " + query);
                assertTrue(query.contains("[$__rate_interval]"), () -> "rate window should be $__rate_interval: " + query);
            }
            Matcher quantile = QUANTILE_OF.matcher(query);
            while (quantile.find()) {
                assertTrue(quantile.group(2).endsWith("_bucket"), () -> "histogram_quantile over non-bucket: " + query);
                assertTrue(List.of(quantile.group(1).split("\\s*,\\s*")).contains("le"),
                        () -> "histogram_quantile must keep le: " + query);
            }
            if (query.contains("histogram_quantile")) {
                assertTrue(quantile.reset().find(), () -> "histogram_quantile not of the form sum by (..., le) (rate(x_bucket{...: " + query);
            }
        }
    }

    @Test
    void metricExtractionFindsNamesInExpressions() {
        Matcher m = METRIC.matcher("histogram_quantile(0.99, sum by (route, le) (rate(weaseldb_http_request_duration_seconds_bucket{instance=~\"a\"}[5m])))");
        assertTrue(m.find());
        assertEquals("weaseldb_http_request_duration_seconds_bucket", m.group());
        assertFalse(m.find());
        assertEquals("weaseldb_storage_fsync_seconds", familyName("weaseldb_storage_fsync_seconds_bucket"));
        assertEquals("weaseldb_commits_total", familyName("weaseldb_commits_total"));
    }

    // ---- JSON via jackson-core's streaming parser into plain maps and lists -----------------

    static Map<String, Object> load() {
        try (JsonParser p = new JsonFactory().createParser(DASHBOARD.toFile())) {
            return map(JsonTree.parse(p));
        } catch (IOException e) {
            throw new UncheckedIOException(DASHBOARD + ": " + e.getMessage(), e);
        }
    }

    /** Every panel, including those nested in collapsed rows. */
    private static List<Map<String, Object>> panels(Map<String, Object> dashboard) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> panel : list(dashboard.get("panels"))) {
            all.add(panel);
            if (panel.get("panels") != null) all.addAll(list(panel.get("panels")));
        }
        return all;
    }

    private static List<Map<String, Object>> variables(Map<String, Object> dashboard) {
        return list(map(dashboard.get("templating")).get("list"));
    }

    /** Panel expressions plus variable queries: everything that names a metric. */
    private static List<String> queries(Map<String, Object> dashboard) {
        List<String> queries = new ArrayList<>();
        for (Map<String, Object> panel : panels(dashboard)) {
            if (panel.get("targets") == null) continue;
            for (Map<String, Object> target : list(panel.get("targets"))) queries.add((String) target.get("expr"));
        }
        for (Map<String, Object> variable : variables(dashboard)) {
            if (variable.get("definition") instanceof String definition) queries.add(definition);
        }
        return queries;
    }

    private static boolean balanced(String s) {
        StringBuilder stack = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                if (c == '\\') i++;
                else if (c == '"') quoted = false;
                continue;
            }
            switch (c) {
                case '"' -> quoted = true;
                case '(', '[', '{' -> stack.append(c);
                case ')', ']', '}' -> {
                    char open = c == ')' ? '(' : c == ']' ? '[' : '{';
                    if (stack.isEmpty() || stack.charAt(stack.length() - 1) != open) return false;
                    stack.setLength(stack.length() - 1);
                }
                default -> { }
            }
        }
        return stack.isEmpty() && !quoted;
    }

    private static String uid(Object datasource) {
        return datasource == null ? null : (String) map(datasource).get("uid");
    }

    private static int num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }
}
