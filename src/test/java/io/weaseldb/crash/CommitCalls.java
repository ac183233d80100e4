package io.weaseldb.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.weaseldb.server.RawClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The crash tests' HTTP calls and the fields they read from the answers. */
final class CommitCalls {
    static final Pattern VERSION = Pattern.compile("\"version\":(\\d+)");
    static final Pattern STATUS = Pattern.compile("\"status\":\"(\\w+)\"");
    static final Pattern LEADER = Pattern.compile("\"leader_id\":\"([^\"]+)\"");

    private CommitCalls() {
    }

    /** ~300 bytes: two writes under keys unique to the id, no preconditions (so nothing can conflict). */
    static RawClient.Response commit(RawClient c, String id) throws IOException {
        return commit(c, id, 0);
    }

    /** As {@link #commit(RawClient, String)}, the first value padded to at least {@code valueBytes}. */
    static RawClient.Response commit(RawClient c, String id, int valueBytes) throws IOException {
        String key = b64("crash/" + id);
        String value = "value of " + id;
        if (value.length() < valueBytes) value += "-".repeat(valueBytes - value.length());
        String body = "{\"request_id\":\"" + id + "\",\"operations\":["
            + "{\"type\":\"write\",\"key\":\"" + key + "\",\"value\":\"" + b64(value) + "\"},"
            + "{\"type\":\"write\",\"key\":\"" + b64("index/" + id) + "\",\"value\":\"" + key + "\"}]}";
        return c.postJson("/v1/commit", body);
    }

    static RawClient.Response status(RawClient c, String id) throws IOException {
        return c.get("/v1/status?request_id=" + id);
    }

    /** {@code GET path} on a new connection, closed after the answer. */
    static RawClient.Response getOnce(int port, String path) throws IOException {
        try (RawClient c = new RawClient(port)) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            return c.read();
        }
    }

    static long version(int port) throws IOException {
        RawClient.Response r = getOnce(port, "/v1/version");
        assertEquals(200, r.status(), r.bodyText());
        return number(VERSION, r.bodyText());
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static long number(Pattern p, String body) {
        return Long.parseLong(text(p, body));
    }

    static String text(Pattern p, String body) {
        Matcher m = p.matcher(body);
        if (!m.find()) throw new AssertionError(p + " not in " + body);
        return m.group(1);
    }

    static void awaitTrue(Supplier<String> what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) fail("timed out waiting for: " + what.get());
            Thread.sleep(2); // polling interval of a poll-with-deadline
        }
    }
}
