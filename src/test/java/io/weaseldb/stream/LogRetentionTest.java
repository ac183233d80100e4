package io.weaseldb.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.weaseldb.server.TestServer;
import io.weaseldb.storage.LogRecord;
import io.weaseldb.storage.RetentionPolicyStore;
import io.weaseldb.storage.SegmentedFileLog;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncation keeps every version ≥ min(min over policies, latest − retain_versions). */
class LogRetentionTest {
    @TempDir
    Path dir;

    private SegmentedFileLog log;
    private RetentionPolicyStore policies;

    @BeforeEach
    void open() throws Exception {
        // ~4 KiB segments of ~120-byte records: about 30 records per segment.
        log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults().withFsync(false).withSegmentBytes(4096), new SimpleMeterRegistry());
        policies = RetentionPolicyStore.open(dir);
    }

    @AfterEach
    void close() throws Exception {
        log.close();
    }

    private void append(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            long v = log.lastVersion() + 1;
            log.append(new LogRecord(v, "rid-" + v, 0, new byte[80]));
        }
        log.sync();
    }

    /** Every version from {@code from} to the last is readable, in order. */
    private void assertRetainedFrom(long from) throws IOException {
        List<Long> seen = new ArrayList<>();
        log.read(from, r -> seen.add(r.version()));
        assertEquals(log.lastVersion() - from + 1, seen.size(), "versions ≥ " + from + " retained");
        assertEquals(from, seen.get(0));
    }

    @Test
    void retainVersionsAloneBoundsTheLog() throws Exception {
        append(300);
        LogRetention r = LogRetention.manual(log, null, policies, 100);
        assertEquals(200, r.runOnce());
        long oldest = log.oldestVersion();
        assertTrue(oldest > 100 && oldest <= 200, "oldest " + oldest + ": segments wholly below 200 are gone, 200 is kept");
        assertRetainedFrom(200);
    }

    @Test
    void theLowestPolicyWinsOverRetainVersions() throws Exception {
        policies.put("reader-b", 120);
        policies.put("reader-a", 50);
        append(300);
        LogRetention r = LogRetention.manual(log, null, policies, 100);
        assertEquals(50, r.runOnce());
        long oldest = log.oldestVersion();
        assertTrue(oldest > 1 && oldest <= 50, "oldest " + oldest);
        assertRetainedFrom(50);

        policies.delete("reader-a"); // now 120 is the lowest pin, still below latest − retain = 200
        assertEquals(120, r.runOnce());
        assertTrue(log.oldestVersion() > 50 && log.oldestVersion() <= 120, "oldest " + log.oldestVersion());
        assertRetainedFrom(120);

        policies.put("reader-b", 100_000); // a pin above the latest version does not pin more than retain_versions
        assertEquals(200, r.runOnce());
        assertRetainedFrom(200);
    }

    @Test
    void aPolicyAtZeroOrAShortLogKeepsEverything() throws Exception {
        append(300);
        policies.put("everything", 0);
        assertEquals(1, LogRetention.manual(log, null, policies, 100).runOnce());
        assertEquals(1, log.oldestVersion());
        policies.delete("everything");
        assertEquals(1, LogRetention.manual(log, null, policies, 1000).runOnce());
        assertEquals(1, log.oldestVersion());
    }

    /**
     * With an id archive, every sealed segment's ids are archived as soon as retention runs, truncation or not, so
     * that deleting a segment later needs no room; a segment is never deleted before its ids are archived.
     */
    @Test
    void sealedSegmentsAreArchivedBeforeTheyCanGo() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1000);  // records are stamped 0: within the hour
        io.weaseldb.storage.FileIdArchive ids = io.weaseldb.storage.FileIdArchive.open(dir, false, 3_600_000, 10, 1_000_000, clock::get);
        append(300);
        policies.put("everything", 0);
        LogRetention r = LogRetention.manual(log, ids, policies, 100);
        assertEquals(1, r.runOnce());
        assertEquals(1, log.oldestVersion(), "pinned: nothing truncated");
        long activeFirst = log.truncationPoint(Long.MAX_VALUE);
        assertTrue(activeFirst > 250, "several sealed segments: " + activeFirst);
        assertEquals(activeFirst, ids.archivedTo(), "every sealed segment archived anyway");

        policies.delete("everything");
        assertEquals(200, r.runOnce());
        assertTrue(log.oldestVersion() > 100 && log.oldestVersion() <= 200, "oldest " + log.oldestVersion());
        List<String> archived = new ArrayList<>();
        ids.replay(log.oldestVersion(), (id, version, millis) -> archived.add(id));
        assertEquals(log.oldestVersion() - 1, archived.size(), "every truncated version's id is in the archive");
        assertEquals("rid-1", archived.get(0));
    }

    @Test
    void theBackgroundThreadTruncatesAsTheLogGrows() throws Exception {
        try (LogRetention r = LogRetention.start(log, null, policies, 50, Duration.ofMillis(20))) {
            append(100);
            TestServer.awaitTrue("first truncation", Duration.ofSeconds(10), () -> log.oldestVersion() > 1);
            assertTrue(log.oldestVersion() <= 50);
            append(200);
            TestServer.awaitTrue("truncation follows the log", Duration.ofSeconds(10), () -> log.oldestVersion() > 200);
            assertRetainedFrom(250);
            assertEquals(250, r.keepFrom());
        }
    }
}
