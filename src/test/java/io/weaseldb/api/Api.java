package io.weaseldb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.weaseldb.server.RawClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small client for the v1 commit API over real HTTP (java.net.http, HTTP/1.1), with a jackson-core
 * streaming reader for the JSON answers and helpers that spell request bodies.
 */
final class Api {
    private static final JsonFactory JSON = new JsonFactory();

    /** One answer: status, headers, raw body and (when it is JSON) the parsed object. */
    record Reply(int status, Map<String, List<String>> headers, String body, Map<String, Object> json) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) return e.getValue().get(0);
            }
            return null;
        }

        String str(String field) {
            return (String) json.get(field);
        }

        long num(String field) {
            Object v = json.get(field);
            if (!(v instanceof Long l)) throw new AssertionError(field + " is not an integer in " + body);
            return l;
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    final int port;
    final HttpClient client;

    Api(int port) {
        this.port = port;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    Reply commit(String body) {
        return send(HttpRequest.newBuilder(uri("/v1/commit")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Reply status(String requestId) {
        return get("/v1/status?request_id=" + URLEncoder.encode(requestId, StandardCharsets.UTF_8));
    }

    Reply version() {
        return get("/v1/version");
    }

    long currentVersion() {
        Reply r = version();
        assertEquals(200, r.status(), r.body());
        return r.num("version");
    }

    String leaderId() {
        return version().str("leader_id");
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
            return reply(r.statusCode(), r.headers().map(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Reply reply(RawClient.Response r) {
        Map<String, List<String>> h = new LinkedHashMap<>();
        r.headers().forEach((k, v) -> h.put(k, List.of(v)));
        return reply(r.status(), h, r.bodyText());
    }

    static Reply reply(int status, Map<String, List<String>> headers, String body) {
        String type = headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("content-type"))
            .map(e -> e.getValue().get(0)).findFirst().orElse("");
        Map<String, Object> json = type.startsWith("application/json") ? parseObject(body) : Map.of();
        return new Reply(status, headers, body, json);
    }

    /** A commit over a raw keep-alive connection. */
    static Reply commit(RawClient c, String body) throws IOException {
        return reply(c.postJson("/v1/commit", body));
    }

    static Reply get(RawClient c, String path) throws IOException {
        return reply(c.get(path));
    }

    // ------------------------------------------------------------------ JSON

    /** Parses one JSON object into maps, lists, Longs, Strings, Booleans and nulls; fails on anything else. */
    static Map<String, Object> parseObject(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new AssertionError("not a JSON object: " + text);
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) value(p);
            if (p.nextToken() != null) throw new AssertionError("content after the JSON object: " + text);
            return m;
        } catch (IOException e) {
            throw new AssertionError("invalid JSON: " + text, e);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() != JsonToken.END_OBJECT) {
                    String name = p.currentName();
                    p.nextToken();
                    if (m.put(name, value(p)) != null) throw new AssertionError("duplicate field " + name);
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) l.add(value(p));
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            case VALUE_NULL -> {
                return Optional.empty();
            }
            default -> throw new AssertionError("unexpected JSON token " + p.currentToken());
        }
    }

    // ------------------------------------------------------------------ request bodies

    static String b64(String s) {
        return b64(s.getBytes(StandardCharsets.UTF_8));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static String write(String key, String value) {
        return "{\"type\":\"write\",\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}";
    }

    static String delete(String key) {
        return "{\"type\":\"delete\",\"key\":\"" + b64(key) + "\"}";
    }

    static String rangeDelete(String begin, String end) {
        return "{\"type\":\"range_delete\",\"begin\":\"" + b64(begin) + "\",\"end\":\"" + b64(end) + "\"}";
    }

    /** A point read at {@code version}, or at the request's read_version when {@code version} is null. */
    static String pointRead(String key, Long version) {
        return "{\"type\":\"point_read\",\"key\":\"" + b64(key) + "\"" + (version == null ? "" : ",\"version\":" + version) + "}";
    }

    static String rangeRead(String begin, String end, Long version) {
        return "{\"type\":\"range_read\",\"begin\":\"" + b64(begin) + "\",\"end\":\"" + b64(end) + "\""
            + (version == null ? "" : ",\"version\":" + version) + "}";
    }

    /** {@code {"operations":[ops…]}} */
    static String ops(String... ops) {
        return "{\"operations\":[" + String.join(",", ops) + "]}";
    }

    /** {@code {"request_id":id,"operations":[ops…]}} */
    static String withId(String requestId, String... ops) {
        return "{\"request_id\":\"" + requestId + "\",\"operations\":[" + String.join(",", ops) + "]}";
    }

    /** Preconditions only (no read_version, no operations). */
    static String reads(String... preconditions) {
        return "{\"preconditions\":[" + String.join(",", preconditions) + "]}";
    }

    /** A unique request id of at least 20 characters. */
    static String newId(String tag) {
        return tag + "-" + java.util.UUID.randomUUID();
    }
}
