package io.weaseldb.storage;

import static io.weaseldb.storage.LogTestSupport.appendRange;
import static io.weaseldb.storage.LogTestSupport.assertReads;
import static io.weaseldb.storage.LogTestSupport.assertRecord;
import static io.weaseldb.storage.LogTestSupport.open;
import static io.weaseldb.storage.LogTestSupport.readAll;
import static io.weaseldb.storage.LogTestSupport.record;
import static io.weaseldb.storage.LogTestSupport.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentedFileLogTest {
    /** About six records per segment, an index entry every third record: exercises rolling and index hints. */
    static final SegmentedFileLog.Options SMALL = SegmentedFileLog.Options.defaults().withSegmentBytes(600).withIndexInterval(3);

    @TempDir
    Path dir;

    @Test
    void emptyDirectoryStartsANewLogAtVersionOne() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(0, log.lastVersion());
            assertEquals(1, log.oldestVersion());
            assertTrue(readAll(log, 0).isEmpty());
            assertTrue(readAll(log, 1).isEmpty());
        }
        Path first = dir.resolve("log").resolve("00000000000000000001.seg");
        assertEquals(SMALL.segmentBytes(), Files.size(first), "with fsync on, written full of zeros ahead");
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(0, log.lastVersion());
            log.append(record(1));
            log.sync();
            assertReads(log, 1, 1);
        }
    }

    /** The ids of a version range, across segments, as read() gives them, with nothing past the range. */
    @Test
    void readRequestIdsGivesTheIdsOfARange() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            appendRange(log, 1, 40);
            assertTrue(log.segmentCount() > 4, "several segments");
            for (long[] range : new long[][] {{1, 41}, {5, 23}, {17, 18}, {30, 1000}}) {
                List<String> got = new ArrayList<>();
                log.readRequestIds(range[0], range[1], (id, version, millis) -> got.add(id + "@" + version + "@" + millis));
                List<String> expected = new ArrayList<>();
                for (long v = range[0]; v < Math.min(range[1], 41); v++) {
                    LogRecord r = record(v);
                    expected.add(r.requestId() + "@" + v + "@" + r.timestampMillis());
                }
                assertEquals(expected, got, "versions " + range[0] + ".." + (range[1] - 1));
            }
        }
    }

    /** However many subscribers replay at once, at most MAX_OPEN_READERS hold a segment open; the rest wait. */
    @Test
    void concurrentReadersHoldAtMostTheBoundOfOpenSegments() throws Exception {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            appendRange(log, 1, 10);
            int readers = SegmentedFileLog.MAX_OPEN_READERS + 36;
            java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger maxInside = new java.util.concurrent.atomic.AtomicInteger();
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < readers; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        log.read(1, r -> {
                            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            try {
                                release.await();  // a subscriber stuck writing to its socket
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            inside.decrementAndGet();
                            return false;
                        });
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((inside.get() < SegmentedFileLog.MAX_OPEN_READERS || log.readersWaiting() < 36) && System.nanoTime() < deadline) {
                Thread.yield(); // poll with a deadline: the readers are getting there
            }
            assertEquals(SegmentedFileLog.MAX_OPEN_READERS, inside.get());
            assertEquals(36, log.readersWaiting());
            release.countDown();
            for (Thread t : threads) assertTrue(t.join(java.time.Duration.ofSeconds(10)));
            assertTrue(failures.isEmpty(), failures.toString());
            assertEquals(SegmentedFileLog.MAX_OPEN_READERS, maxInside.get());
            assertEquals(0, log.readersWaiting());
        }
    }

    @Test
    void appendSyncReopenContinuesVersions() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            appendRange(log, 1, 10);
            assertEquals(10, log.lastVersion());
            assertEquals(10, log.durableVersion());
        }
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(10, log.lastVersion());
            assertReads(log, 1, 10);
            assertThrows(IllegalArgumentException.class, () -> log.append(record(10)));
            assertThrows(IllegalArgumentException.class, () -> log.append(record(12)));
            appendRange(log, 11, 12);
        }
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(12, log.lastVersion());
            assertReads(log, 1, 12);
        }
    }

    @Test
    void manyRecordsAcrossSmallSegmentsReadFromAnywhere() throws IOException {
        int n = 400;
        try (SegmentedFileLog log = open(dir, SMALL)) {
            for (long v = 1; v <= n; v++) {
                log.append(record(v));
                if (v % 7 == 0) log.sync();
            }
            log.sync();
            assertTrue(log.segmentCount() > 20, "segments: " + log.segmentCount());
            for (long from : new long[] {0, 1, 2, 3, 4, 5, 6, 7, 100, 199, 200, 201, 333, n - 1, n}) assertReads(log, from, n);
            assertTrue(readAll(log, n + 1).isEmpty());
        }
        // Each file is named after its first record's version; every segment but the last is at least segmentBytes.
        List<Path> files = segmentFiles(dir);
        for (int i = 0; i < files.size() - 1; i++) {
            assertTrue(Files.size(files.get(i)) >= SMALL.segmentBytes(), files.get(i) + " is " + Files.size(files.get(i)));
        }
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(n, log.lastVersion());
            assertEquals(files.size(), log.segmentCount());
            for (Path f : files) {
                long first = LogFormat.parseFileName(f);
                List<LogRecord> got = new ArrayList<>();
                log.read(first, r -> got.add(r) && got.size() < 1);
                assertRecord(first, got.get(0));
            }
            for (long from = 1; from <= n; from += 13) assertReads(log, from, n);
        }
    }

    @Test
    void visitorCanStopEarly() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            appendRange(log, 1, 50);
            List<Long> seen = new ArrayList<>();
            log.read(20, r -> { seen.add(r.version()); return seen.size() < 3; });
            assertEquals(List.of(20L, 21L, 22L), seen);
        }
    }

    @Test
    void readersSeeOnlySyncedRecordsEvenWhenTheyAreAlreadyInTheFile() throws IOException {
        // A write buffer smaller than one record forces each record into the file before sync().
        SegmentedFileLog.Options opts = new SegmentedFileLog.Options(true, 1 << 20, 1 << 20, 4, 4096);
        try (SegmentedFileLog log = open(dir, opts)) {
            appendRange(log, 1, 5);
            byte[] big = new byte[10_000];
            ThreadLocalRandom.current().nextBytes(big);
            log.append(new LogRecord(6, "big", 6, big));
            log.append(record(7));
            long fileSize = Files.size(segmentFiles(dir).get(0));
            assertTrue(fileSize > 10_000, "the big record is in the file already: " + fileSize);
            assertEquals(7, log.lastVersion());
            assertEquals(5, log.durableVersion());
            assertReads(log, 1, 5);
            assertTrue(readAll(log, 6).isEmpty());
            log.sync();
            List<LogRecord> all = readAll(log, 1);
            assertEquals(7, all.size());
            assertArrayEquals(big, all.get(5).payload());
            assertRecord(7, all.get(6));
        }
    }

    @Test
    void unicodeRequestIdsRoundTripAndBadOnesAreRejectedWithoutHarm() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            String id = "réqüest-日本-\uD83D\uDE00-id";
            log.append(new LogRecord(1, id, 1, new byte[] {1, 2, 3}));
            assertThrows(IllegalArgumentException.class, () -> log.append(new LogRecord(2, "bad\uD800", 2, new byte[0])));
            byte[] tooBig = new byte[SMALL.maxRecordBytes()];
            assertThrows(IllegalArgumentException.class, () -> log.append(new LogRecord(2, "x", 2, tooBig)));
            log.append(new LogRecord(2, "", 2, new byte[0]));
            log.sync();
        }
        try (SegmentedFileLog log = open(dir, SMALL)) {
            List<LogRecord> got = readAll(log, 1);
            assertEquals(id(got, 0), "réqüest-日本-\uD83D\uDE00-id");
            assertEquals("", got.get(1).requestId());
            assertEquals(0, got.get(1).payload().length);
        }
    }

    private static String id(List<LogRecord> records, int i) {
        return records.get(i).requestId();
    }

    @Test
    void concurrentReadersNeverSeeNonDurableOrPartialRecordsWhileAppendingAndTruncating() throws Exception {
        int total = 3000;
        SegmentedFileLog.Options opts = SMALL.withFsync(false).withSegmentBytes(4096).withIndexInterval(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        try (SegmentedFileLog log = open(dir, opts)) {
            CountDownLatch readersStarted = new CountDownLatch(2);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    readersStarted.countDown();
                    int reads = 0;
                    try {
                        while (!done.get() || reads < 5) {
                            reads++;
                            long durableBefore = log.durableVersion();
                            long from = 1 + ThreadLocalRandom.current().nextLong(Math.max(1, durableBefore));
                            long[] expect = {from};
                            try {
                                log.read(from, r -> {
                                    assertRecord(expect[0]++, r);
                                    return true;
                                });
                            } catch (LogTruncatedException e) {
                                assertTrue(from < log.oldestVersion(), "truncated read from " + from + " but oldest is " + log.oldestVersion());
                                continue;
                            }
                            long lastSeen = expect[0] - 1;
                            assertTrue(lastSeen >= durableBefore || from > durableBefore,
                                    "read from " + from + " stopped at " + lastSeen + " but " + durableBefore + " was durable before it started");
                            assertTrue(lastSeen <= log.durableVersion(), "saw " + lastSeen + " beyond durable " + log.durableVersion());
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    // Until appends end and at least one truncation happened (on a busy machine the appends
                    // can finish before this thread first runs).
                    while (!done.get() || log.oldestVersion() == 1) log.truncateBefore(log.durableVersion() - 500);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
            assertTrue(readersStarted.await(10, TimeUnit.SECONDS));
            for (long v = 1; v <= total; v++) {
                log.append(record(v));
                if (v % 16 == 0) log.sync();
            }
            log.sync();
            done.set(true);
            for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(errors.isEmpty(), () -> "errors: " + errors);
            assertTrue(log.oldestVersion() > 1, "truncation ran");
            assertReads(log, log.oldestVersion(), total);
        }
    }

    @Test
    void truncateBeforeDeletesOnlyWholeOldSegments() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            appendRange(log, 1, 100);
            List<Path> files = segmentFiles(dir);
            int index = 5;
            long firstOfSegment = LogFormat.parseFileName(files.get(index));
            long v = firstOfSegment + 1; // inside segment `index`: it must stay
            log.truncateBefore(v);
            assertEquals(firstOfSegment, log.oldestVersion());
            assertEquals(files.subList(index, files.size()), segmentFiles(dir));
            assertReads(log, firstOfSegment, 100);
            LogTruncatedException e = assertThrows(LogTruncatedException.class, () -> readAll(log, firstOfSegment - 1));
            assertEquals(firstOfSegment, e.oldestVersion());
            assertThrows(LogTruncatedException.class, () -> readAll(log, 0));

            // Exactly at a boundary: the previous segment's last version < v, so it goes.
            long nextFirst = LogFormat.parseFileName(files.get(index + 1));
            log.truncateBefore(nextFirst);
            assertEquals(nextFirst, log.oldestVersion());

            // Unsynced records are never truncated, and the active segment always stays.
            for (long x = 101; x <= 150; x++) log.append(record(x));
            log.truncateBefore(Long.MAX_VALUE);
            assertTrue(log.oldestVersion() <= 101, "oldest " + log.oldestVersion());
            log.sync();
            log.truncateBefore(Long.MAX_VALUE);
            assertEquals(1, log.segmentCount());
            long activeFirst = log.oldestVersion();
            assertEquals(LogFormat.parseFileName(segmentFiles(dir).get(0)), activeFirst);
            assertReads(log, activeFirst, 150);
        }
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(150, log.lastVersion());
            assertEquals(1, log.segmentCount());
            assertReads(log, log.oldestVersion(), 150);
            appendRange(log, 151, 160);
        }
    }

    @Test
    void anEmptyActiveSegmentStillCarriesTheNextVersion() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            appendRange(log, 1, 30);
        }
        // A crash right after rolling leaves a segment that holds only its header.
        Path empty = dir.resolve("log").resolve(LogFormat.fileName(31));
        Files.write(empty, LogFormat.encodeHeader(31).array());
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(30, log.lastVersion());
            log.truncateBefore(Long.MAX_VALUE);
            assertEquals(1, log.segmentCount());
            assertEquals(31, log.oldestVersion());
            assertTrue(readAll(log, 31).isEmpty());
            assertThrows(LogTruncatedException.class, () -> readAll(log, 30));
        }
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(30, log.lastVersion());
            assertEquals(31, log.oldestVersion());
            appendRange(log, 31, 32);
            assertReads(log, 31, 32);
        }
    }

    @Test
    void closeMakesPendingAppendsDurableAndRejectsFurtherUse() throws IOException {
        SegmentedFileLog log = open(dir, SMALL);
        log.append(record(1));
        log.close();
        assertThrows(IOException.class, () -> log.append(record(2)));
        assertThrows(IOException.class, () -> readAll(log, 1));
        try (SegmentedFileLog again = open(dir, SMALL)) {
            assertReads(again, 1, 1);
        }
    }

    @Test
    void metricsCountSyncsRecordsBytesAndSegments() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SegmentedFileLog log = SegmentedFileLog.open(dir, SMALL, registry)) {
            long bytes = 0;
            for (long v = 1; v <= 40; v++) {
                log.append(record(v));
                LogRecord r = record(v);
                bytes += LogFormat.MIN_RECORD_BYTES + r.requestId().length() + r.payload().length;
                if (v % 10 == 0) log.sync();
            }
            log.sync(); // nothing pending: not a group commit
            assertEquals(4, registry.get("weaseldb.storage.group.commit.size").summary().count());
            assertEquals(40.0, registry.get("weaseldb.storage.group.commit.size").summary().totalAmount());
            assertEquals(bytes, registry.get("weaseldb.storage.appended.bytes").counter().count());
            assertTrue(registry.get("weaseldb.storage.fsync").timer().count() >= 4);
            assertEquals(log.segmentCount(), registry.get("weaseldb.storage.segments").gauge().value());
            log.truncateBefore(30);
            assertEquals(log.oldestVersion(), registry.get("weaseldb.storage.oldest.version").gauge().value());
            assertTrue(log.oldestVersion() > 1);
        }
        // Gauges are removed on close, so reopening with the same registry reports the new instance.
        try (SegmentedFileLog log = SegmentedFileLog.open(dir, SMALL, registry)) {
            assertEquals(log.oldestVersion(), registry.get("weaseldb.storage.oldest.version").gauge().value());
        }
    }

    @Test
    void withoutFsyncRecordsAreStillReadableAndRecovered() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL.withFsync(false))) {
            appendRange(log, 1, 60);
            assertReads(log, 1, 60);
        }
        try (SegmentedFileLog log = open(dir, SMALL.withFsync(false))) {
            assertEquals(60, log.lastVersion());
        }
        assertFalse(segmentFiles(dir).isEmpty());
    }
}
