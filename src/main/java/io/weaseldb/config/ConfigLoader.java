package io.weaseldb.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Reads a TOML file against {@link Schema}: unknown tables and keys, wrong types and out-of-range values are
 * refused with {@code FILE: KEY: expected WHAT, found VALUE}. Missing keys take their defaults.
 */
public final class ConfigLoader {
    private ConfigLoader() { }

    public static ServerConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": not valid UTF-8 (TOML files are UTF-8)");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    public static ServerConfig parse(String fileName, String text) throws ConfigException {
        // A byte order mark, as some editors write one at the start of a UTF-8 file: not TOML, and not the user's.
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError e = toml.errors().get(0);
            throw new ConfigException(fileName + ":" + e.position().line() + ":" + e.position().column()
                + ": invalid TOML: " + e.getMessage());
        }
        Reader r = new Reader(fileName);
        for (String top : toml.keySet()) {
            if (!Schema.TABLES.containsKey(top)) {
                throw r.error(top, "unknown key; allowed tables: " + String.join(", ", tablesAtTop()));
            }
        }
        Map<String, Object> http = r.table(toml, "http", Schema.TABLES.get("http"), "pipelines");
        InetAddress bindIp = r.resolve("http.bind_address", (String) http.get("bind_address"));
        Map<String, ServerConfig.Pipeline> pipelines = r.pipelines(toml);
        Map<String, Object> storage = r.table(toml, "storage", Schema.TABLES.get("storage"));
        Map<String, Object> commit = r.table(toml, "commit", Schema.TABLES.get("commit"));
        Map<String, Object> sub = r.table(toml, "subscription", Schema.TABLES.get("subscription"));
        Map<String, Object> metrics = r.table(toml, "metrics", Schema.TABLES.get("metrics"));

        return new ServerConfig(
            new ServerConfig.Http(
                (String) http.get("bind_address"), bindIp, i(http, "port"), i(http, "accept_threads"),
                i(http, "network_threads"), i(http, "carrier_threads"), i(http, "keepalive_timeout_sec"), i(http, "request_timeout_sec"),
                i(http, "write_timeout_sec"), i(http, "drain_timeout_sec"), i(http, "max_connections"),
                (long) http.get("max_request_size_bytes"), (long) http.get("max_inflight_body_bytes"), i(http, "max_header_bytes"),
                i(http, "max_request_line_bytes"), pipelines),
            new ServerConfig.Storage(Path.of((String) storage.get("data_dir")), (boolean) storage.get("fsync"),
                (long) storage.get("retain_versions"), (long) storage.get("segment_bytes")),
            new ServerConfig.Commit(i(commit, "max_key_bytes"), i(commit, "max_value_bytes"),
                i(commit, "min_request_id_length"), (long) commit.get("request_id_retention_hours"),
                (long) commit.get("request_id_retention_versions"), (long) commit.get("conflict_window_versions")),
            new ServerConfig.Subscription(i(sub, "keepalive_interval_seconds"), (long) sub.get("max_buffer_size_bytes")),
            new ServerConfig.Metrics((boolean) metrics.get("enabled")));
    }

    private static List<String> tablesAtTop() {
        return Schema.TABLES.keySet().stream().filter(t -> !t.contains(".")).toList();
    }

    private static int i(Map<String, Object> t, String key) {
        return Math.toIntExact((long) t.get(key));
    }

    /** Validation with the file name at hand for messages. */
    private record Reader(String file) {
        ConfigException error(String key, String what) {
            return new ConfigException(file + ": " + key + ": " + what);
        }

        ConfigException mismatch(String key, String allowed, Object found) {
            return error(key, "expected " + allowed + ", found " + describe(found));
        }

        /** Reads table {@code path} (absent = all defaults), refusing keys not in {@code keys} except {@code subTables}. */
        Map<String, Object> table(TomlTable root, String path, List<Key> keys, String... subTables) throws ConfigException {
            Object raw = root.get(List.of(path.split("\\.")));
            TomlTable t = null;
            if (raw != null) {
                if (!(raw instanceof TomlTable tt)) throw mismatch(path, "a table", raw);
                t = tt;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            if (t != null) {
                outer:
                for (String k : t.keySet()) {
                    for (String sub : subTables) if (sub.equals(k)) continue outer;
                    if (Key.find(keys, k) == null) {
                        throw error(path + "." + k, "unknown key; allowed: "
                            + String.join(", ", keys.stream().map(Key::name).toList()));
                    }
                }
            }
            for (Key k : keys) {
                Object v = t == null ? null : t.get(List.of(k.name()));
                out.put(k.name(), v == null ? k.defaultValue() : check(path + "." + k.name(), k, v));
            }
            return out;
        }

        Object check(String fullKey, Key k, Object v) throws ConfigException {
            switch (k.kind()) {
                case INT -> {
                    if (!(v instanceof Long n) || n < k.min() || n > k.max()) throw mismatch(fullKey, k.allowed(), v);
                    return n;
                }
                case BOOL -> {
                    if (!(v instanceof Boolean)) throw mismatch(fullKey, k.allowed(), v);
                    return v;
                }
                case CHOICE -> {
                    if (!(v instanceof String s) || !k.choices().contains(s)) throw mismatch(fullKey, k.allowed(), v);
                    return v;
                }
                default -> {
                    if (!(v instanceof String s) || s.isEmpty()) throw mismatch(fullKey, k.allowed(), v);
                    return v;
                }
            }
        }

        /**
         * An address to listen on must be an IP address or a name this machine resolves: found out here, it is
         * refused like any other bad value instead of failing the bind with an exception that names nothing.
         */
        InetAddress resolve(String key, String address) throws ConfigException {
            try {
                return InetAddress.getByName(address);
            } catch (UnknownHostException e) {
                throw mismatch(key, "an IP address or a host name that resolves", address);
            }
        }

        Map<String, ServerConfig.Pipeline> pipelines(TomlTable root) throws ConfigException {
            Object raw = root.get(List.of("http", "pipelines"));
            if (raw != null && !(raw instanceof TomlTable)) throw mismatch("http.pipelines", "a table", raw);
            TomlTable all = (TomlTable) raw;
            if (all != null) {
                for (String name : all.keySet()) {
                    if (!Schema.PIPELINES.contains(name)) {
                        throw error("http.pipelines." + name, "unknown pipeline; known: " + String.join(", ", Schema.PIPELINES));
                    }
                }
            }
            Map<String, ServerConfig.Pipeline> out = new TreeMap<>();
            List<Key> keys = Schema.TABLES.get("http.pipelines.*");
            for (String name : Schema.PIPELINES) {
                Map<String, Object> p = table(root, "http.pipelines." + name, keys);
                long ring = (long) p.get("ring_buffer_size");
                if (Long.bitCount(ring) != 1) {
                    throw mismatch("http.pipelines." + name + ".ring_buffer_size", "a power of two 2..16777216", ring);
                }
                out.put(name, new ServerConfig.Pipeline((int) ring, i(p, "threads"), (String) p.get("layout")));
            }
            return out;
        }

        static String describe(Object v) {
            if (v instanceof String s) return "string \"" + s + "\"";
            if (v instanceof Long n) return "integer " + n;
            if (v instanceof Double d) return "float " + d;
            if (v instanceof Boolean b) return "boolean " + b;
            if (v instanceof TomlTable) return "a table";
            if (v instanceof TomlArray) return "an array";
            return v.getClass().getSimpleName() + " " + v;
        }
    }
}
