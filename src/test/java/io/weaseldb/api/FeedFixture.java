package io.weaseldb.api;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.weaseldb.http.Router;
import io.weaseldb.server.TestServer;
import io.weaseldb.storage.LogRecord;
import io.weaseldb.storage.RetentionPolicyStore;
import io.weaseldb.storage.SegmentedFileLog;
import io.weaseldb.stream.ChangeFeed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real server with the subscribe and retention routes wired over a real commit log in a temp dir (fsync off).
 * {@link #commit} does what the persist stage will: append, sync, then publish each record in order.
 */
final class FeedFixture implements AutoCloseable {
    final Path dir;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final SegmentedFileLog log;
    final RetentionPolicyStore policies;
    final ChangeFeed feed;
    final TestServer srv;

    private FeedFixture(String httpKeys, ChangeFeed.Options opts, long segmentBytes, int preload, int payloadBytes) {
        try {
            dir = Files.createTempDirectory("weaseldb-feed");
            log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults().withFsync(false).withSegmentBytes(segmentBytes), registry);
            for (int i = 0; i < preload; i++) log.append(record(log.lastVersion() + 1, payloadBytes));
            log.sync();
            policies = RetentionPolicyStore.open(dir);
            feed = ChangeFeed.start(log, opts, registry);
            srv = TestServer.start(httpKeys, "", this::routes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @param preload records already in the log when the feed starts (history only the disk has, as after a restart) */
    static FeedFixture start(String httpKeys, ChangeFeed.Options opts, long segmentBytes, int preload, int payloadBytes) {
        return new FeedFixture(httpKeys, opts, segmentBytes, preload, payloadBytes);
    }

    static FeedFixture start(ChangeFeed.Options opts) {
        return start("", opts, SegmentedFileLog.Options.DEFAULT_SEGMENT_BYTES, 0, 16);
    }

    private void routes(Router router) {
        router.exact(SubscribeHandler.PATH, SubscribeHandler.route(feed));
        RetentionHandlers.register(router, policies);
    }

    /** Appends {@code n} records with {@code payloadBytes}-byte values, syncs, and publishes them in order. */
    synchronized void commit(int n, int payloadBytes) {
        try {
            long first = log.lastVersion() + 1;
            LogRecord[] batch = new LogRecord[n];
            for (int i = 0; i < n; i++) {
                batch[i] = record(first + i, payloadBytes);
                log.append(batch[i]);
            }
            log.sync();
            for (LogRecord r : batch) feed.publish(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String requestId(long v) {
        return "request-id-for-version-" + v;
    }

    static String operations(long v, int payloadBytes) {
        Base64.Encoder b64 = Base64.getEncoder();
        byte[] value = new byte[payloadBytes];
        Arrays.fill(value, (byte) ('a' + (v % 26)));
        return "[{\"type\":\"write\",\"key\":\"" + b64.encodeToString(("key" + v).getBytes(StandardCharsets.UTF_8))
            + "\",\"value\":\"" + b64.encodeToString(value) + "\"}]";
    }

    static LogRecord record(long v, int payloadBytes) {
        return new LogRecord(v, requestId(v), System.currentTimeMillis(), operations(v, payloadBytes).getBytes(StandardCharsets.UTF_8));
    }

    /** The data line the server must send for version {@code v}. */
    static String expectedData(long v, int payloadBytes) {
        return "{\"version\":" + v + ",\"request_id\":\"" + requestId(v) + "\",\"operations\":" + operations(v, payloadBytes) + "}";
    }

    double disconnected(String reason) {
        return registry.counter("weaseldb.subscribers.disconnected", "reason", reason).count();
    }

    private boolean serverStopped;

    /** Graceful server shutdown (idempotent). */
    synchronized void stopServer() {
        if (serverStopped) return;
        serverStopped = true;
        srv.close();
    }

    @Override
    public void close() throws IOException {
        try {
            stopServer();
        } finally {
            feed.close();
            log.close();
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
