package io.weaseldb.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Lints and renders deploy/helm/weaseldb through helm-java (Helm's Go library over JNA, no
 * helm binary needed) and checks the manifests a cluster would receive.
 *
 * <p>No YAML library is on the test classpath, so {@link Yaml} below reads the rendered
 * output by indentation. That is enough for Helm's output, which is block-style YAML with
 * one key per line; the TOML embedded in the ConfigMap is parsed for real with tomlj.
 */
class HelmChartTest {
    static final Path CHART = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("deploy/helm/weaseldb");
    private static final String NAMESPACE = "weaseldb-test";

    /**
     * Every key the server reads, by TOML table: those of the shipped config/weaseldb.toml, which
     * ConfigLoaderTest holds to the config schema (every key, at its default).
     */
    static final Map<String, List<String>> CONFIG_KEYS = shippedConfigKeys();

    private static Map<String, List<String>> shippedConfigKeys() {
        try {
            TomlParseResult shipped = Toml.parse(CHART.resolve("../../../config/weaseldb.toml").normalize());
            Map<String, List<String>> keys = new TreeMap<>();
            for (String dotted : shipped.dottedKeySet()) {
                int dot = dotted.lastIndexOf('.');
                keys.computeIfAbsent(dotted.substring(0, dot), t -> new ArrayList<>()).add(dotted.substring(dot + 1));
            }
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Yaml> defaults;

    @BeforeAll
    static void renderDefaults() {
        defaults = render(Map.of());
    }

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), () -> "helm lint --strict failed: " + lint.getMessages());
        for (String message : lint.getMessages()) {
            assertFalse(message.contains("[ERROR]") || message.contains("[WARNING]"), message);
        }
    }

    @Test
    void rendersTheExpectedObjects() {
        List<String> kinds = defaults.stream().map(Yaml::kind).sorted().toList();
        assertEquals(List.of("ConfigMap", "Service", "Service", "ServiceAccount", "StatefulSet"), kinds,
                "objects rendered with default values");
    }

    @Test
    void configMapRendersEveryConfigKey() {
        TomlParseResult toml = renderedConfig(defaults);
        for (Map.Entry<String, List<String>> table : CONFIG_KEYS.entrySet()) {
            TomlTable t = toml.getTable(table.getKey());
            assertNotNull(t, () -> "weaseldb.toml has no [" + table.getKey() + "] table:\n" + toml.toToml());
            for (String key : table.getValue()) {
                assertTrue(t.contains(List.of(key)), () -> "weaseldb.toml: [" + table.getKey() + "] lacks " + key);
            }
        }
        // Types survive the values.yaml -> TOML trip (YAML numbers reach templates as floats).
        assertEquals("0.0.0.0", toml.getString("http.bind_address"));
        assertEquals(8080L, toml.getLong("http.port"));
        assertEquals(67108864L, toml.getLong("storage.segment_bytes"));
        assertEquals(Boolean.TRUE, toml.getBoolean("storage.fsync"));
        assertEquals(1024L, toml.getLong("http.pipelines.commit_status.ring_buffer_size"));
        assertEquals(Boolean.TRUE, toml.getBoolean("metrics.enabled"));
    }

    @Test
    void configMapPassesNewAndOverriddenKeysThroughAndDropsNulls() {
        List<Yaml> docs = render(Map.of(
                "config.http.some_future_key", "\"quoted\\value\"",
                "config.storage.segment_bytes", "1073741824",
                "config.commit.max_key_bytes", "null"));
        TomlParseResult toml = renderedConfig(docs);
        assertEquals("\"quoted\\value\"", toml.getString("http.some_future_key"));
        assertEquals(1073741824L, toml.getLong("storage.segment_bytes"));
        assertFalse(toml.contains("commit.max_key_bytes"), "a null value leaves the key to the server default");
    }

    @Test
    void statefulSetProbesStorageAndSecurity() {
        Yaml sts = only(defaults, "StatefulSet");
        TomlParseResult toml = renderedConfig(defaults);
        Yaml container = sts.block("containers");

        assertEquals("1", sts.scalar("replicas"));
        assertEquals("/live", container.block("livenessProbe").block("httpGet").scalar("path"));
        assertEquals("/ready", container.block("readinessProbe").block("httpGet").scalar("path"));
        assertEquals("/ok", container.block("startupProbe").block("httpGet").scalar("path"));
        assertEquals(String.valueOf(toml.getLong("http.port")), container.block("ports").scalar("containerPort"));
        assertTrue(sts.text.contains("\n            - --config\n            - /etc/weaseldb/weaseldb.toml\n"),
                "server started with --config /etc/weaseldb/weaseldb.toml");
        assertTrue(Pattern.compile("- name: JAVA_OPTS\\n\\s+value: \"-XX:").matcher(container.text).find(),
                "JAVA_OPTS from javaOpts");

        Yaml claims = sts.block("volumeClaimTemplates");
        assertEquals("data", claims.block("metadata").scalar("name"));
        assertEquals("10Gi", claims.block("resources").block("requests").scalar("storage"));
        String mounts = container.block("volumeMounts").text;
        assertTrue(mounts.contains("- name: data\n              mountPath: " + toml.getString("storage.data_dir") + "\n"),
                () -> "the data volume is mounted at config storage.data_dir:\n" + mounts);
        assertTrue(mounts.contains("mountPath: /tmp"), "writable /tmp under a read-only root");

        assertEquals("true", sts.block("template").block("spec").block("securityContext").scalar("runAsNonRoot"));
        assertEquals("10001", sts.block("template").block("spec").block("securityContext").scalar("fsGroup"));
        assertEquals("true", container.block("securityContext").scalar("runAsNonRoot"));
        assertEquals("true", container.block("securityContext").scalar("readOnlyRootFilesystem"));

        long grace = Long.parseLong(sts.scalar("terminationGracePeriodSeconds"));
        assertTrue(grace >= toml.getLong("http.drain_timeout_sec"),
                () -> "terminationGracePeriodSeconds " + grace + " < drain_timeout_sec");

        String headless = defaults.stream().filter(d -> d.kind().equals("Service") && "None".equals(d.scalar("clusterIP")))
                .findFirst().orElseThrow(() -> new AssertionError("no headless Service")).block("metadata").scalar("name");
        assertEquals(headless, sts.scalar("serviceName"));
    }

    @Test
    void podTemplateCarriesScrapeAnnotationsAndConfigChecksum() {
        Yaml annotations = only(defaults, "StatefulSet").block("template").block("metadata").block("annotations");
        assertEquals("\"true\"", annotations.scalar("prometheus.io/scrape"));
        assertEquals("\"8080\"", annotations.scalar("prometheus.io/port"));
        assertEquals("/metrics", annotations.scalar("prometheus.io/path"));
        assertTrue(annotations.scalar("checksum/config").matches("[0-9a-f]{64}"));

        String changed = only(render(Map.of("config.http.max_connections", "5")), "StatefulSet")
                .block("template").block("metadata").block("annotations").scalar("checksum/config");
        assertNotEquals(annotations.scalar("checksum/config"), changed, "a config change must roll the pod");
    }

    @Test
    void graceFollowsDrainTimeoutAndPortFollowsConfig() {
        List<Yaml> docs = render(Map.of("config.http.drain_timeout_sec", "60", "terminationGraceMarginSeconds", "5",
                "config.http.port", "9090"));
        Yaml sts = only(docs, "StatefulSet");
        assertEquals("65", sts.scalar("terminationGracePeriodSeconds"));
        assertEquals("9090", sts.block("containers").block("ports").scalar("containerPort"));
        assertEquals("\"9090\"", sts.block("template").block("metadata").block("annotations").scalar("prometheus.io/port"));
    }

    @Test
    void servicesSelectThePods() {
        Yaml client = docs(defaults, "Service").stream().filter(d -> d.scalar("clusterIP") == null).findFirst().orElseThrow();
        assertEquals("ClusterIP", client.scalar("type"));
        assertEquals("http", client.block("ports").scalar("targetPort"));
        String podLabels = only(defaults, "StatefulSet").block("template").block("metadata").block("labels").text;
        for (String selector : client.block("selector").text.strip().split("\n")) {
            assertTrue(podLabels.contains(selector.strip()), () -> "pods lack the Service selector " + selector);
        }
    }

    @Test
    void serviceMonitorOnlyWhenEnabled() {
        assertTrue(docs(defaults, "ServiceMonitor").isEmpty(), "ServiceMonitor is opt-in");

        List<Yaml> docs = render(Map.of("serviceMonitor.enabled", "true"));
        Yaml monitor = only(docs, "ServiceMonitor");
        assertEquals("monitoring.coreos.com/v1", monitor.scalar("apiVersion"));
        assertEquals("http", monitor.block("endpoints").scalar("port"));
        assertEquals("/metrics", monitor.block("endpoints").scalar("path"));
        // It must select exactly the client Service, not the headless one as well (double series).
        String component = monitor.block("selector").scalar("app.kubernetes.io/component");
        long selected = docs(docs, "Service").stream()
                .filter(s -> component.equals(s.block("metadata").block("labels").scalar("app.kubernetes.io/component")))
                .count();
        assertEquals(1, selected);
    }

    /** The alert rules file, installed whole as a PrometheusRule; Prometheus' own {{ }} templates pass through. */
    @Test
    void prometheusRuleOnlyWhenEnabled() throws IOException {
        assertTrue(docs(defaults, "PrometheusRule").isEmpty(), "PrometheusRule is opt-in");
        Yaml rule = only(render(Map.of("prometheusRule.enabled", "true", "prometheusRule.labels.release", "kp")), "PrometheusRule");
        assertEquals("monitoring.coreos.com/v1", rule.scalar("apiVersion"));
        assertEquals("kp", rule.block("metadata").block("labels").scalar("release"));
        String rules = rule.block("spec").text;
        String source = Files.readString(CHART.resolve("files/weaseldb-alerts.yml"));
        long expected = source.lines().filter(l -> l.strip().startsWith("- alert:")).count();
        assertEquals(4, expected);
        assertEquals(expected, rules.lines().filter(l -> l.strip().startsWith("- alert:")).count(), rules);
        assertTrue(rules.contains("{{ $labels.instance }}"), rules);
        IllegalStateException noMetrics = assertThrows(IllegalStateException.class,
                () -> render(Map.of("prometheusRule.enabled", "true", "config.metrics.enabled", "false")));
        assertTrue(noMetrics.getMessage().contains("prometheusRule.enabled requires config.metrics.enabled"), noMetrics.getMessage());
    }

    @Test
    void schemaAndTemplatesRejectBadValues() {
        IllegalStateException port = assertThrows(IllegalStateException.class,
                () -> render(Map.of("config.http.port", "not-a-port")));
        assertTrue(port.getMessage().contains("config.http.port"), port.getMessage());
        IllegalStateException dir = assertThrows(IllegalStateException.class,
                () -> render(Map.of("config.storage.data_dir", "data")));
        assertTrue(dir.getMessage().contains("data_dir"), dir.getMessage());
    }

    /** Once the repository's default config exists, the chart must render each of its keys too. */
    @Test
    void chartCoversEveryKeyOfTheShippedConfig() throws IOException {
        Path shipped = CHART.resolve("../../../config/weaseldb.toml").normalize();
        Assumptions.assumeTrue(Files.exists(shipped), "no config/weaseldb.toml yet");
        TomlParseResult reference = Toml.parse(shipped);
        assertFalse(reference.hasErrors(), () -> shipped + ": " + reference.errors());
        Set<String> missing = leafKeys(reference, "");
        missing.removeAll(leafKeys(renderedConfig(defaults), ""));
        assertTrue(missing.isEmpty(), () -> "values.yaml config lacks keys of " + shipped + ": " + missing);
    }

    // ---- helpers ----------------------------------------------------------------------

    private static List<Yaml> render(Map<String, String> sets) {
        TemplateCommand template = new Helm(CHART).template().withName("weaseldb").withNamespace(NAMESPACE);
        sets.forEach(template::set);
        List<Yaml> docs = new ArrayList<>();
        for (String doc : template.call().split("(?m)^---\\s*$")) {
            if (!doc.isBlank()) docs.add(new Yaml(doc));
        }
        return docs;
    }

    private static List<Yaml> docs(List<Yaml> all, String kind) {
        return all.stream().filter(d -> kind.equals(d.kind())).toList();
    }

    private static Yaml only(List<Yaml> all, String kind) {
        List<Yaml> found = docs(all, kind);
        assertEquals(1, found.size(), () -> "expected one " + kind + ", got " + found.size());
        return found.get(0);
    }

    private static TomlParseResult renderedConfig(List<Yaml> docs) {
        Yaml configMap = only(docs, "ConfigMap");
        String toml = configMap.block("data").literal("weaseldb.toml");
        TomlParseResult parsed = Toml.parse(toml);
        if (parsed.hasErrors()) fail("rendered weaseldb.toml does not parse: " + parsed.errors() + "\n" + toml);
        return parsed;
    }

    private static Set<String> leafKeys(TomlTable table, String prefix) {
        Set<String> keys = new TreeSet<>();
        for (Map.Entry<String, Object> e : table.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof TomlTable sub) keys.addAll(leafKeys(sub, key + "."));
            else keys.add(key);
        }
        return keys;
    }

    /**
     * A block of rendered YAML read by indentation: {@link #block} narrows to the lines
     * nested under the first occurrence of a key, {@link #scalar} reads a key's inline value.
     * Keys inside list items ({@code - name: x}) count as indented past the dash.
     */
    static final class Yaml {
        private static final Pattern KEY = Pattern.compile("^(\\s*(?:-\\s+)?)([^\\s#:][^:]*?):(?:\\s+(.*?))?\\s*$");
        final String text;

        Yaml(String text) { this.text = text; }

        String kind() {
            Matcher m = Pattern.compile("(?m)^kind:\\s*(\\S+)").matcher(text);
            return m.find() ? m.group(1) : "";
        }

        /** Lines nested under the first {@code key:} line (any depth); fails if there is none. */
        Yaml block(String key) {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = KEY.matcher(lines[i]);
                if (!m.matches() || !m.group(2).equals(key)) continue;
                StringBuilder body = new StringBuilder();
                for (int j = i + 1; j < lines.length; j++) {
                    String line = lines[j];
                    if (line.isBlank()) { body.append('\n'); continue; }
                    int lineIndent = line.length() - line.stripLeading().length();
                    // Helm's toYaml puts a sequence at its key's own column ("drop:\n- ALL").
                    boolean child = lineIndent > m.start(2)
                            || (lineIndent == m.start(2) && line.stripLeading().startsWith("- "));
                    if (!child) break;
                    body.append(line).append('\n');
                }
                return new Yaml(body.toString());
            }
            throw new AssertionError("no '" + key + ":' in\n" + text);
        }

        /** The inline value of the first {@code key: value} line, or null if the key is absent. */
        String scalar(String key) {
            for (String line : text.split("\n")) {
                Matcher m = KEY.matcher(line);
                if (m.matches() && m.group(2).equals(key)) return m.group(3);
            }
            return null;
        }

        /** The content of a {@code key: |} literal block scalar, de-indented. */
        String literal(String key) {
            String[] lines = block(key).text.split("\n", -1);
            int indent = Integer.MAX_VALUE;
            for (String line : lines) {
                if (!line.isBlank()) indent = Math.min(indent, line.length() - line.stripLeading().length());
            }
            StringBuilder out = new StringBuilder();
            for (String line : lines) out.append(line.length() >= indent ? line.substring(indent) : "").append('\n');
            return out.toString();
        }
    }
}
