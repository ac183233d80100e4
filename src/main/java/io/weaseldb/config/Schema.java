package io.weaseldb.config;

import static io.weaseldb.config.Key.bool;
import static io.weaseldb.config.Key.choice;
import static io.weaseldb.config.Key.integer;
import static io.weaseldb.config.Key.string;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every configuration key with its default, range and one-line doc. {@code config/weaseldb.toml}, the README's
 * config reference and the Helm chart's values.schema.json mirror this table; {@code ConfigLoaderTest} and
 * {@code ConfigDocsTest} keep them in step.
 */
final class Schema {
    private Schema() { }

    static final int MAX_THREADS = 256;

    /** Known pipelines; each gets a {@code [http.pipelines.<name>]} table. */
    static final List<String> PIPELINES = List.of("commit_status");

    static final Map<String, List<Key>> TABLES = new LinkedHashMap<>();

    static {
        TABLES.put("http", List.of(
            string("bind_address", "0.0.0.0", "address to listen on"),
            integer("port", 8080, 0, 65535, "TCP port (0 = any free port; the chosen one is printed)"),
            integer("accept_threads", 1, 1, MAX_THREADS, "platform threads blocking in accept()"),
            integer("network_threads", 0, 0, MAX_THREADS, "poller threads, each owning one epoll Selector (0 = half the cores, at least 1)"),
            integer("carrier_threads", 0, 0, MAX_THREADS, "platform threads running the connections' virtual threads (0 = the cores the pollers leave, at least 1, at least 2 with several pollers)"),
            integer("keepalive_timeout_sec", 30, 1, 86_400, "idle keep-alive connection closed after this long"),
            integer("request_timeout_sec", 10, 1, 3_600, "a request must arrive completely within this long of its first byte (else 408)"),
            integer("write_timeout_sec", 30, 1, 3_600, "a response write that makes no progress for this long closes the connection"),
            integer("drain_timeout_sec", 20, 0, 3_600, "on SIGTERM, in-flight requests get this long before the process exits"),
            integer("max_connections", 10_000, 1, 1_000_000, "connections beyond this get 503 and are closed (best effort)"),
            integer("max_request_size_bytes", 1 << 20, 1, 1L << 30, "request body limit (413)"),
            integer("max_inflight_body_bytes", 0, 0, 1L << 40, "request bodies held at once; more wait, up to the request timeout (0 = an eighth of the heap)"),
            integer("max_header_bytes", 16_384, 256, 1 << 20, "header block limit (431)"),
            integer("max_request_line_bytes", 8_192, 64, 1 << 20, "request line limit (414)")));
        TABLES.put("http.pipelines.*", List.of(
            integer("ring_buffer_size", 1024, 2, 1 << 24, "ring slots, a power of two; a full ring answers 503"),
            integer("threads", 0, 0, MAX_THREADS, "threads of a separate respond stage (0 = the persist thread answers)"),
            choice("layout", "auto", List.of("auto", "split", "fused"),
                "resolve and persist on a thread each (split) or one (fused); auto = split with fsync, fused without")));
        TABLES.put("storage", List.of(
            string("data_dir", "data", "directory of the commit log and retention policies"),
            bool("fsync", true, "fsync every group commit before acknowledging (false only for benchmarks)"),
            integer("retain_versions", 100_000, 0, Long.MAX_VALUE, "the log keeps at least this many latest versions"),
            integer("segment_bytes", 64L << 20, 1 << 16, 1L << 40, "log segment file size before rolling (with fsync on and up to 1 GiB, written full of zeros ahead)")));
        TABLES.put("commit", List.of(
            integer("max_key_bytes", 10_000, 1, 1 << 20, "decoded key size limit"),
            integer("max_value_bytes", 100_000, 0, 1 << 30, "decoded value size limit"),
            integer("min_request_id_length", 20, 1, 1024, "shortest client-chosen request_id accepted"),
            integer("request_id_retention_hours", 24, 0, 100_000, "a committed request_id is remembered at least this long..."),
            integer("request_id_retention_versions", 100_000, 0, Long.MAX_VALUE, "...and at least this many versions"),
            integer("conflict_window_versions", 100_000, 1, 100_000_000, "versions of write history kept for precondition checks")));
        TABLES.put("subscription", List.of(
            integer("keepalive_interval_seconds", 15, 1, 3_600, "': keepalive' comment interval on idle event streams"),
            integer("max_buffer_size_bytes", 1 << 20, 1024, 1L << 31, "a subscriber further behind than this is disconnected")));
        TABLES.put("metrics", List.of(
            bool("enabled", true, "record and expose metrics at /metrics")));
    }
}
