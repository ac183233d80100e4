package io.weaseldb.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.JsonTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The config schema's other mirrors (config/weaseldb.toml has ConfigLoaderTest): the README's config reference
 * and the Helm chart's values.schema.json, which must refuse at install time what the server refuses at start.
 */
class ConfigDocsTest {
    private static final Path HELM_SCHEMA = Path.of("deploy/helm/weaseldb/values.schema.json");

    /** The README's row for a key, e.g. "| `http.port` | `8080` |", with its default. */
    @Test
    void readmeDocumentsEveryKeyWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (Map.Entry<String, List<Key>> table : Schema.TABLES.entrySet()) {
            String prefix = table.getKey().replace("*", Schema.PIPELINES.get(0));
            for (Key k : table.getValue()) {
                String shown = k.kind() == Key.Kind.STRING || k.kind() == Key.Kind.CHOICE ? "\"" + k.defaultValue() + "\"" : String.valueOf(k.defaultValue());
                String row = "| `" + prefix + "." + k.name() + "` | `" + shown + "` |";
                assertTrue(readme.contains(row), "README.md lacks the row " + row);
            }
        }
    }

    /** Every key has a property of its type in the chart's schema, and an integer key has the server's range. */
    @Test
    void helmSchemaAllowsWhatTheServerAllows() throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> schema = (Map<String, Object>) JsonTree.parse(Files.readString(HELM_SCHEMA));
        Map<String, Object> config = child(schema, "properties", "config");
        for (Map.Entry<String, List<Key>> table : Schema.TABLES.entrySet()) {
            Map<String, Object> node = config;
            for (String part : table.getKey().replace("*", Schema.PIPELINES.get(0)).split("\\.")) {
                node = child(node, "properties", part);
            }
            for (Key k : table.getValue()) {
                String where = table.getKey() + "." + k.name();
                Map<String, Object> prop = child(node, "properties", k.name());
                String type = switch (k.kind()) {
                    case INT -> "integer";
                    case BOOL -> "boolean";
                    case STRING, CHOICE -> "string";
                };
                assertEquals(type, prop.get("type"), where + ": type");
                if (k.kind() == Key.Kind.CHOICE) {
                    assertEquals(k.choices(), prop.get("enum"), where + ": enum");
                }
                if (k.kind() != Key.Kind.INT) continue;
                // A pod cannot listen on "any free port": the chart needs a real one.
                long min = where.equals("http.port") ? 1 : k.min();
                assertEquals(min, number(prop.get("minimum"), where + ": minimum"), where + ": minimum");
                if (k.max() == Long.MAX_VALUE) {
                    assertEquals(null, prop.get("maximum"), where + ": no maximum (the server has none)");
                } else {
                    assertEquals(k.max(), number(prop.get("maximum"), where + ": maximum"), where + ": maximum");
                }
            }
        }
    }

    private static long number(Object o, String what) {
        assertNotNull(o, what + " missing from " + HELM_SCHEMA);
        return assertInstanceOf(Number.class, o).longValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> node, String... path) {
        Object o = node;
        for (String p : path) {
            o = ((Map<String, Object>) o).get(p);
            assertNotNull(o, () -> HELM_SCHEMA + " lacks " + String.join(".", path));
        }
        return (Map<String, Object>) o;
    }
}
