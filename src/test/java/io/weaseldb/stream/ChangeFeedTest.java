package io.weaseldb.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.weaseldb.storage.LogRecord;
import io.weaseldb.storage.LogTruncatedException;
import io.weaseldb.storage.SegmentedFileLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The feed without HTTP: ring bounds, start checks, and the streaming loop over plain output streams. */
class ChangeFeedTest {
    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private SegmentedFileLog log;
    private ChangeFeed feed;

    @BeforeEach
    void openLog() throws IOException {
        log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults().withFsync(false).withSegmentBytes(4096), registry);
    }

    @AfterEach
    void close() throws IOException {
        if (feed != null) feed.close();
        log.close();
    }

    private static LogRecord record(long v, int valueBytes) {
        String ops = "[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"" + "x".repeat(valueBytes) + "\"}]";
        return new LogRecord(v, "rid-" + v, 0, ops.getBytes(StandardCharsets.UTF_8));
    }

    private void commit(int n, int valueBytes) throws IOException {
        long first = log.lastVersion() + 1;
        for (int i = 0; i < n; i++) log.append(record(first + i, valueBytes));
        log.sync();
        for (int i = 0; i < n; i++) feed.publish(record(first + i, valueBytes));
    }

    /** Control of a fake connection: a drain flag, an abort that fails the blocked writer, counted wake-ups. */
    private static final class FakeConnection implements StreamControl {
        volatile boolean draining;
        final CountDownLatch aborted = new CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger wakes = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void wake(Thread t) {
            wakes.incrementAndGet();
            java.util.concurrent.locks.LockSupport.unpark(t);
        }

        @Override
        public boolean draining() {
            return draining;
        }

        @Override
        public void abort() {
            aborted.countDown();
        }
    }

    @Test
    void publishRejectsGapsAndRepeats() throws IOException {
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1 << 20, 15), registry);
        commit(3, 10);
        assertEquals(3, feed.latestVersion());
        assertThrows(IllegalArgumentException.class, () -> feed.publish(record(5, 10)));
        assertThrows(IllegalArgumentException.class, () -> feed.publish(record(3, 10)));
        assertEquals(3, feed.latestVersion());
    }

    @Test
    void ringKeepsOnlyTheEventsWithinTheByteWindow() throws IOException {
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(2000, 15), registry);
        commit(100, 100);
        SseEvent newest = feed.newest();
        assertEquals(100, newest.version);
        long expectedOffset = 0;
        for (long v = 1; v <= 100; v++) expectedOffset += SseEvent.render(record(v, 100)).length;
        assertEquals(expectedOffset, newest.end(), "offsets count every published byte");
        int retained = 0;
        for (long v = 1; v <= 100; v++) {
            SseEvent e = feed.eventAt(v);
            if (e == null) {
                assertTrue(retained == 0, "evicted from the oldest end only (version " + v + ")");
                continue;
            }
            retained++;
            assertTrue(newest.offset - e.offset <= 2000, "version " + v + " is outside the window but still held");
        }
        long oldestHeld = 100 - retained + 1;
        assertTrue(retained >= 2 && retained < 100, "retained " + retained);
        long evictedOffset = feed.eventAt(oldestHeld).offset - SseEvent.render(record(oldestHeld - 1, 100)).length;
        assertTrue(newest.offset - evictedOffset > 2000, "version " + (oldestHeld - 1) + " was still within the window");
    }

    @Test
    void ringIsBoundedByCountToo() throws IOException {
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1 << 20, 15).withRingSlots(8), registry);
        commit(20, 10);
        for (long v = 1; v <= 12; v++) assertNull(feed.eventAt(v), "version " + v);
        for (long v = 13; v <= 20; v++) assertNotNull(feed.eventAt(v), "version " + v);
    }

    @Test
    void subscribeChecksTheStartVersion() throws IOException {
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1 << 20, 15), registry);
        commit(300, 100);
        log.truncateBefore(150);
        long oldest = log.oldestVersion();
        assertTrue(oldest > 1);
        LogTruncatedException e = assertThrows(LogTruncatedException.class, () -> feed.subscribe(oldest - 2, new FakeConnection()));
        assertEquals(oldest, e.oldestVersion());
        assertEquals(oldest - 1, feed.subscribe(oldest - 1, new FakeConnection()).startAfter());
        assertEquals(300, feed.subscribe(ChangeFeed.LIVE, new FakeConnection()).startAfter());
        assertThrows(IllegalArgumentException.class, () -> feed.subscribe(301, new FakeConnection()));
        assertThrows(IllegalArgumentException.class, () -> feed.subscribe(-2, new FakeConnection()));
    }

    @Test
    void streamsReplayAndLiveBytesThenEndsOnDrain() throws Exception {
        commit0(40);
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1 << 20, 15), registry);
        FakeConnection conn = new FakeConnection();
        Subscription sub = feed.subscribe(10, conn);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream synced = new OutputStream() {
            @Override
            public synchronized void write(int b) {
                sink.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                sink.write(b, off, len);
            }
        };
        CompletableFuture<DisconnectReason> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> done.complete(sub.stream(synced)));
        commit(20, 50);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (long v = 11; v <= 40; v++) expected.write(SseEvent.render(record(v, 50)));
        for (long v = 41; v <= 60; v++) expected.write(SseEvent.render(record(v, 50)));
        awaitTrue("all 50 events written", () -> {
            synchronized (synced) {
                return sink.size() >= expected.size();
            }
        });
        conn.draining = true; // the reaper notices within its interval and wakes the parked subscriber
        assertEquals(DisconnectReason.SHUTDOWN, done.get(5, TimeUnit.SECONDS));
        synchronized (synced) {
            assertEquals(expected.toString(StandardCharsets.UTF_8), sink.toString(StandardCharsets.UTF_8));
        }
        assertEquals(1, registry.counter("weaseldb.subscribers.disconnected", "reason", "shutdown").count());
        assertEquals(0, feed.subscriberCount());
    }

    @Test
    void aWaitingSubscriberIsWokenThroughItsConnection() throws Exception {
        // Over HTTP the connection's wake goes through its poller (ordered with its I/O wake-ups); an unpark from
        // the notifier thread itself could starve behind the poller's rounds with one carrier.
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1 << 20, 15), registry);
        FakeConnection conn = new FakeConnection();
        Subscription sub = feed.subscribe(ChangeFeed.LIVE, conn);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Thread streamer = Thread.ofVirtual().start(() -> sub.stream(sink)); // ByteArrayOutputStream is synchronized
        awaitTrue("the subscriber parks waiting for events", () -> streamer.getState() == Thread.State.WAITING
            || streamer.getState() == Thread.State.TIMED_WAITING);
        commit(1, 10);
        byte[] expected = SseEvent.render(record(1, 10));
        awaitTrue("the event is written", () -> sink.size() >= expected.length);
        // Polled: on a loaded machine the subscriber may see the event at its 1 s peer check before the notifier's
        // wake-up arrives, but that wake-up still comes, through the connection (never with a direct unpark).
        awaitTrue("woken through StreamControl.wake, not unparked directly", () -> conn.wakes.get() >= 1);
        conn.draining = true;
        streamer.join(TimeUnit.SECONDS.toMillis(5));
    }

    @Test
    void eventsPublishedWhileASubscriberWritesStillReachItWhenPublishingStops() throws Exception {
        // The subscriber finishes its batch (version 1) after versions 2-6 were published, so it waits for a
        // later pass with work already there: it must still get every version, once and in order, although
        // nothing more is published (the reaper, whose periodic pass would also cover it, runs hourly here).
        feed = ChangeFeed.start(log, new ChangeFeed.Options(1 << 20, Duration.ofSeconds(15), 0, Duration.ofHours(1), 64 << 20), registry);
        Subscription sub = feed.subscribe(ChangeFeed.LIVE, new FakeConnection());
        CountDownLatch inFirstWrite = new CountDownLatch(1);
        // The writer spins on a flag rather than waiting on a latch, so the stream's own parks are all it does.
        AtomicBoolean morePublished = new AtomicBoolean();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream slowFirstWrite = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (inFirstWrite.getCount() > 0) {
                    inFirstWrite.countDown();
                    while (!morePublished.get()) Thread.onSpinWait();
                }
                synchronized (sink) {
                    sink.write(b, off, len);
                }
            }
        };
        Thread.ofVirtual().start(() -> sub.stream(slowFirstWrite));
        awaitTrue("the subscriber is registered", () -> feed.subscriberCount() == 1);
        commit(1, 20);
        assertTrue(inFirstWrite.await(5, TimeUnit.SECONDS), "version 1 was delivered");
        commit(5, 20);
        morePublished.set(true);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (long v = 1; v <= 6; v++) expected.write(SseEvent.render(record(v, 20)));
        awaitTrue("versions 2-6 delivered without another publish", () -> {
            synchronized (sink) {
                return sink.size() >= expected.size();
            }
        });
        synchronized (sink) {
            assertEquals(expected.toString(StandardCharsets.UTF_8), sink.toString(StandardCharsets.UTF_8));
        }
    }

    private void commit0(int n) throws IOException {
        for (int i = 0; i < n; i++) log.append(record(log.lastVersion() + 1, 50));
        log.sync();
    }

    @Test
    void aSubscriberBlockedInAWriteIsAbortedAndPublishNeverWaits() throws Exception {
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(4096, 15), registry);
        FakeConnection conn = new FakeConnection();
        Subscription sub = feed.subscribe(ChangeFeed.LIVE, conn);
        AtomicBoolean blocked = new AtomicBoolean();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                blocked.set(true);
                try {
                    conn.aborted.await(); // a client that never reads: blocked until the connection is closed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("connection aborted");
            }
        };
        CompletableFuture<DisconnectReason> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> done.complete(sub.stream(stuck)));
        awaitTrue("subscribed", () -> feed.subscriberCount() == 1);
        commit(1, 10);
        awaitTrue("writer blocked", blocked::get);
        commit(500, 100); // ~100 KB while the subscriber is stuck: every publish returns
        assertEquals(DisconnectReason.SLOW, done.get(5, TimeUnit.SECONDS));
        assertEquals(0, conn.aborted.getCount());
        assertEquals(1, registry.counter("weaseldb.subscribers.disconnected", "reason", "slow").count());
        assertEquals(0, registry.counter("weaseldb.subscribers.disconnected", "reason", "client_gone").count());
        assertEquals(0, feed.subscriberCount());
    }

    @Test
    void historyTruncatedBeforeTheReplayReachesItEndsTheStream() throws Exception {
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1 << 20, 15).withRingSlots(16), registry);
        commit(300, 100);
        Subscription sub = feed.subscribe(0, new FakeConnection()); // everything still retained at this point
        log.truncateBefore(150);
        assertEquals(DisconnectReason.TRUNCATED, sub.stream(OutputStream.nullOutputStream()));
        assertEquals(1, registry.counter("weaseldb.subscribers.disconnected", "reason", "truncated").count());
    }

    @Test
    void closeEndsStreams() throws Exception {
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1 << 20, 15), registry);
        Subscription sub = feed.subscribe(ChangeFeed.LIVE, new FakeConnection());
        CompletableFuture<DisconnectReason> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> done.complete(sub.stream(OutputStream.nullOutputStream())));
        awaitTrue("subscribed", () -> feed.subscriberCount() == 1);
        feed.close();
        assertEquals(DisconnectReason.SHUTDOWN, done.get(5, TimeUnit.SECONDS));
        feed = null;
    }

    static void awaitTrue(String what, java.util.function.BooleanSupplier c) {
        io.weaseldb.server.TestServer.awaitTrue(what, Duration.ofSeconds(10), c);
    }
}
