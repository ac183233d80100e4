package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.weaseldb.commit.CommitPipeline.Layout;
import io.weaseldb.pipeline.PipelineConfig;
import io.weaseldb.pipeline.PublishResult;
import io.weaseldb.storage.BanJournal;
import io.weaseldb.storage.CommitLog;
import io.weaseldb.storage.LogRecord;
import io.weaseldb.storage.SegmentedFileLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The commit pipeline on its own (no HTTP): both respond layouts, and what a failing resolve answers. */
class CommitPipelineTest {
    private static final ResolverConfig CONFIG = ResolverConfig.DEFAULTS;

    @TempDir
    Path dir;

    /** What the resolver's clock throws, or null. */
    private final java.util.concurrent.atomic.AtomicReference<Throwable> clockFailure = new java.util.concurrent.atomic.AtomicReference<>();
    private final List<Long> published = new CopyOnWriteArrayList<>();

    private long clock() {
        Throwable t = clockFailure.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        return 1_700_000_000_000L;
    }

    private CommitPipeline start(CommitLog log, int ring, Layout layout, int respondThreads) throws Exception {
        Resolver resolver = Resolver.recover(log, "leader-1", CONFIG, this::clock);
        CommitPipeline p = new CommitPipeline(config(ring, layout, respondThreads), layout, respondThreads,
            resolver, log, (LogRecord r) -> published.add(r.version()), new SimpleMeterRegistry());
        p.start();
        return p;
    }

    private static PipelineConfig config(int ring, Layout layout, int respondThreads) {
        return PipelineConfig.of("commit_status", ring, layout.threads() + respondThreads);
    }

    private static CommitRequest request(String id) throws CommitRequestException {
        return CommitRequest.builder(CommitLimits.DEFAULTS).requestId(id)
            .write(("key/" + id).getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)).build();
    }

    private static String commit(CommitPipeline p, CommitPipeline.Ticket t, String id) throws Exception {
        CommitRequest r = request(id);
        assertEquals(PublishResult.PUBLISHED, p.submitCommit(t, r, OperationsCodec.encodeJson(r.operations())));
        assertTrue(t.await(10, TimeUnit.SECONDS), "answered");
        return t.status + " " + new String(t.body, 0, t.bodyLength, StandardCharsets.UTF_8);
    }

    /**
     * Resolve and persist on a thread each or on one; threads = 0: the persist thread answers; threads > 0: a
     * respond stage does. Same answers every way.
     */
    @ParameterizedTest
    @CsvSource({"SPLIT, 0", "SPLIT, 1", "SPLIT, 3", "FUSED, 0", "FUSED, 1"})
    void everyLayoutAnswersCommitsAndStatusOnlyOnceDurable(Layout layout, int respondThreads) throws Exception {
        try (SegmentedFileLog log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults(), new SimpleMeterRegistry())) {
            CommitPipeline p = start(log, 8, layout, respondThreads);
            CommitPipeline.Ticket t = new CommitPipeline.Ticket();
            for (int i = 1; i <= 20; i++) {  // more than the ring: slots are reused
                String id = "request-id-number-" + String.format("%04d", i);
                assertEquals("200 {\"status\":\"committed\",\"version\":" + i + ",\"request_id\":\"" + id
                    + "\",\"leader_id\":\"leader-1\"}", commit(p, t, id));
                assertTrue(p.durableVersion() >= i, "answered only once durable");
            }
            assertEquals(PublishResult.PUBLISHED, p.submitStatus(t, "request-id-number-0007"));
            assertTrue(t.await(10, TimeUnit.SECONDS));
            assertEquals("{\"request_id\":\"request-id-number-0007\",\"status\":\"committed\",\"version\":7}",
                new String(t.body, 0, t.bodyLength, StandardCharsets.UTF_8));
            assertEquals(20, published.size());
            assertTrue(p.stop(Duration.ofSeconds(10)));
        }
    }

    /** A connection's ticket builds each committed answer in the same array: a shorter answer after a longer one is exact. */
    @Test
    void aTicketReusesItsAnswerBufferAndEachAnswerIsExact() throws Exception {
        try (SegmentedFileLog log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults(), new SimpleMeterRegistry())) {
            CommitPipeline p = start(log, 8, Layout.FUSED, 0);
            CommitPipeline.Ticket t = new CommitPipeline.Ticket();
            String longId = "a-rather-long-request-id-".repeat(4) + "1";
            assertTrue(commit(p, t, longId).contains(longId));
            byte[] first = t.body;
            assertEquals("200 {\"status\":\"committed\",\"version\":2,\"request_id\":\"short-request-id-0002\",\"leader_id\":\"leader-1\"}",
                commit(p, t, "short-request-id-0002"));
            assertSame(first, t.body, "the same array, reused");
            assertTrue(t.bodyLength < first.length);
            // A retry of a committed id is answered the same way, from the same array.
            assertEquals("200 {\"status\":\"committed\",\"version\":1,\"request_id\":\"" + longId + "\",\"leader_id\":\"leader-1\"}",
                commit(p, t, longId));
            assertSame(first, t.body);
            assertTrue(p.stop(Duration.ofSeconds(10)));
        }
    }

    /**
     * The log's after-sync bookkeeping (the synced-end mark's write) runs once per synced batch and, when the
     * persist thread answers, only after the batch's answers are out: it must not add to their latency.
     */
    @ParameterizedTest
    @CsvSource({"SPLIT, 0", "SPLIT, 1", "FUSED, 0", "FUSED, 1"})
    void afterSyncFollowsEverySyncAndTheAnswers(Layout layout, int respondThreads) throws Exception {
        CommitPipeline.Ticket t = new CommitPipeline.Ticket();
        List<String> calls = new CopyOnWriteArrayList<>();
        java.util.concurrent.Semaphore afterSyncs = new java.util.concurrent.Semaphore(0);
        try (FailingSync log = new FailingSync(SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults(), new SimpleMeterRegistry())) {
            @Override
            public void sync() throws IOException {
                calls.add("sync");
                super.sync();
            }

            @Override
            public void afterSync() {
                calls.add(respondThreads == 0 && !t.isDone() ? "afterSync before the answer" : "afterSync");
                super.afterSync();
                afterSyncs.release();
            }
        }) {
            CommitPipeline p = start(log, 8, layout, respondThreads);
            for (int i = 1; i <= 5; i++) {
                calls.clear();
                assertTrue(commit(p, t, "after-sync-order-" + String.format("%04d", i)).startsWith("200 "));
                assertTrue(afterSyncs.tryAcquire(10, TimeUnit.SECONDS), "calls: " + calls);
                assertEquals(List.of("sync", "afterSync"), calls);
            }
            assertTrue(p.stop(Duration.ofSeconds(10)));
        }
    }

    /** A log whose sync fails once {@link #failing} is set, as a full or failing disk does. */
    private static class FailingSync implements CommitLog {
        final SegmentedFileLog log;
        final AtomicBoolean failing = new AtomicBoolean();

        FailingSync(SegmentedFileLog log) {
            this.log = log;
        }

        @Override public long lastVersion() { return log.lastVersion(); }
        @Override public long oldestVersion() { return log.oldestVersion(); }
        @Override public void append(LogRecord record) throws IOException { log.append(record); }
        @Override public void read(long from, java.util.function.Predicate<LogRecord> visitor) throws IOException { log.read(from, visitor); }
        @Override public long truncationPoint(long version) { return log.truncationPoint(version); }
        @Override public void truncateBefore(long version) throws IOException { log.truncateBefore(version); }
        @Override public void close() throws IOException { log.close(); }

        @Override
        public void sync() throws IOException {
            if (failing.get()) throw new IOException("test: No space left on device");
            log.sync();
        }

        @Override public void afterSync() { log.afterSync(); }
    }

    /**
     * A failed sync leaves the batch's outcome unknown (its records may be on disk): it is answered 503 naming the
     * request id, never 200, and never "not committed"; everything after is refused too.
     */
    @ParameterizedTest
    @CsvSource({"SPLIT, 0", "SPLIT, 1", "FUSED, 0", "FUSED, 1"})
    void aFailedSyncAnswers503WithTheRequestIdAndAcknowledgesNothingMore(Layout layout, int respondThreads) throws Exception {
        try (FailingSync log = new FailingSync(SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults(), new SimpleMeterRegistry()))) {
            CommitPipeline p = start(log, 8, layout, respondThreads);
            CommitPipeline.Ticket t = new CommitPipeline.Ticket();
            assertTrue(commit(p, t, "before-the-failure-0001").startsWith("200 "));
            log.failing.set(true);
            String failed = commit(p, t, "during-the-failure-0002");
            assertTrue(failed.startsWith("503 "), failed);
            assertTrue(failed.contains("\"error\":\"storage_unavailable\"") && failed.contains("may or may not be committed")
                && failed.contains("\"request_id\":\"during-the-failure-0002\""), failed);
            assertFalse(p.healthy());
            log.failing.set(false);
            assertTrue(commit(p, t, "after-the-failure-0003").startsWith("503 "), "nothing is acknowledged after a failure");
            assertEquals(1, p.durableVersion());
            assertTrue(p.stop(Duration.ofSeconds(10)));
        }
    }

    /**
     * A ban that cannot be journaled would not survive a restart, so the status query gets no answer (503, worded
     * for a status query, not a commit), and the pipeline stops committing as after a log failure.
     */
    @ParameterizedTest
    @CsvSource({"SPLIT, 0", "SPLIT, 1", "FUSED, 0", "FUSED, 1"})
    void aFailedBanJournalAnswersTheStatusQuery503AndStopsCommits(Layout layout, int respondThreads) throws Exception {
        BanJournal failing = new BanJournal() {
            @Override public void append(String requestId, long version, long timestampMillis) { }
            @Override public void sync(long lastVersion) throws IOException { throw new IOException("test: No space left on device"); }
            @Override public void replay(Visitor visitor) { }
            @Override public void close() { }
        };
        try (SegmentedFileLog log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults(), new SimpleMeterRegistry())) {
            Resolver resolver = Resolver.recover(log, "leader-1", CONFIG, this::clock);
            CommitPipeline p = new CommitPipeline(config(8, layout, respondThreads), layout, respondThreads,
                resolver, log, failing, r -> { }, new SimpleMeterRegistry());
            p.start();
            CommitPipeline.Ticket t = new CommitPipeline.Ticket();
            assertTrue(commit(p, t, "before-the-failure-0001").startsWith("200 "));
            assertEquals(PublishResult.PUBLISHED, p.submitStatus(t, "never-committed-id-0002"));
            assertTrue(t.await(10, TimeUnit.SECONDS));
            String answer = t.status + " " + new String(t.body, 0, t.bodyLength, StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("503 ") && answer.contains("\"error\":\"storage_unavailable\"")
                && answer.contains("\"request_id\":\"never-committed-id-0002\""), answer);
            assertFalse(answer.contains("commit was durable"), "worded for a status query: " + answer);
            assertFalse(p.healthy());
            assertTrue(commit(p, t, "after-the-failure-0003").startsWith("503 "), "no commit once a ban may be lost");
            assertTrue(p.stop(Duration.ofSeconds(10)));
        }
    }

    /**
     * A resolve that throws after taking a version must not leave the slot's previous answer (another
     * request's "committed") in place: it answers 500; and since that version can never be persisted, the
     * pipeline stops being healthy and commits nothing more rather than leave a gap.
     */
    @ParameterizedTest
    @CsvSource({"SPLIT, 0, false", "SPLIT, 1, false", "FUSED, 0, false", "FUSED, 1, false", "SPLIT, 0, true", "FUSED, 0, true"})
    void aResolveFailureAnswers500AndNeverAnotherRequestsVersion(Layout layout, int respondThreads, boolean anError) throws Exception {
        try (SegmentedFileLog log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults(), new SimpleMeterRegistry())) {
            CommitPipeline p = start(log, 2, layout, respondThreads);  // two slots: the failing request reuses slot 0
            CommitPipeline.Ticket t = new CommitPipeline.Ticket();
            assertTrue(commit(p, t, "first-request-id-0001").startsWith("200 "));
            assertTrue(commit(p, t, "second-request-id-0002").startsWith("200 "));
            // The resolver reads the clock after taking version 3. An Error (not a VirtualMachineError) is answered too.
            clockFailure.set(anError ? new AssertionError("test: clock failure") : new IllegalStateException("test: clock failure"));
            String failed = commit(p, t, "third-request-id-0003");
            assertTrue(failed.startsWith("500 ") && failed.contains("internal_error"), failed);
            clockFailure.set(null);
            assertFalse(p.healthy());
            String next = commit(p, t, "fourth-request-id-0004");
            assertTrue(next.startsWith("500 ") && next.contains("internal_error"), next);
            assertEquals(2, log.lastVersion(), "nothing after the gap reached the log");
            assertTrue(p.stop(Duration.ofSeconds(10)));
        }
    }
}
