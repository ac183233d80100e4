package io.weaseldb.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weaseldb.JsonTree;
import io.weaseldb.server.RawClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Requests and parsing shared by the metrics tests. Every request uses its own connection with
 * {@code Connection: close}, so no pooled connection outlives a call (some tests run at a tiny
 * {@code max_connections}).
 */
final class MetricsTestSupport {
    static final String COMMIT_BODY = "{\"operations\":[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"}]}";

    private MetricsTestSupport() { }

    static RawClient.Response get(int port, String path) throws IOException {
        return get(port, path, "");
    }

    static RawClient.Response get(int port, String path, String extraHeaders) throws IOException {
        try (RawClient c = new RawClient(port)) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extraHeaders + "\r\n")
                .read();
        }
    }

    /** One durable commit of a single write; fails unless the server answers 200 committed. */
    static void commit(int port) throws IOException {
        byte[] body = COMMIT_BODY.getBytes(StandardCharsets.US_ASCII);
        try (RawClient c = new RawClient(port)) {
            RawClient.Response r = c.send("POST /v1/commit HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n" + COMMIT_BODY).read();
            assertEquals(200, r.status(), () -> "commit: " + r.bodyText());
        }
    }

    /** GET /metrics in the Prometheus text format; fails unless 200. */
    static String scrape(int port) throws IOException {
        RawClient.Response r = get(port, "/metrics");
        assertEquals(200, r.status(), () -> "GET /metrics: " + r.bodyText());
        return r.bodyText();
    }

    /**
     * The sample names of an exposition: for every non-comment line, the name before '{' or ' '
     * (the form {@code DashboardTest.metricNamesReferenced()} uses).
     */
    static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') end++;
            names.add(line.substring(0, end));
        }
        return names;
    }

    static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable " + file + ": " + e.getMessage() + ")";
        }
    }

    // ---- JSON via jackson-core's streaming parser into plain maps and lists ---------------------

    static Object parseJson(String json) {
        return JsonTree.parse(json);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> array(Object o) {
        return (List<Object>) o;
    }
}
