package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.storage.CommitLog;
import io.weaseldb.storage.IdArchive;
import io.weaseldb.storage.LogRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ResolverTest {
    private static final String LEADER = "leader-1";
    private final AtomicLong clock = new AtomicLong(5_000_000);
    private final AtomicInteger generated = new AtomicInteger();

    private Resolver resolver(long historyVersions) {
        return new Resolver(LEADER, new ConflictHistory(0, historyVersions, Long.MAX_VALUE),
                new RequestIdIndex(3_600_000, 100, 0, 0, clock::get), () -> "generated-request-id-" + generated.incrementAndGet());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String id(int n) {
        return "request-id-number-000" + n;
    }

    /** A request built the way a parser would. */
    private static CommitRequest request(String requestId, String leaderId, Long readVersion, Precondition... preconditions) {
        try {
            CommitRequest.Builder b = CommitRequest.builder(CommitLimits.DEFAULTS).requestId(requestId).leaderId(leaderId);
            if (readVersion != null) {
                b.readVersion(readVersion);
            }
            for (Precondition p : preconditions) {
                if (p.type() == Precondition.Type.POINT_READ) {
                    b.pointRead(p.key(), p.hasVersion(), p.version());
                } else {
                    b.rangeRead(p.begin(), p.end(), p.hasVersion(), p.version());
                }
            }
            b.write(b("k" + (requestId == null ? "" : requestId)), b("v"));
            return b.build();
        } catch (CommitRequestException e) {
            throw new AssertionError(e);
        }
    }

    private static CommitRequest writing(String requestId, String key, Precondition... preconditions) {
        try {
            CommitRequest.Builder b = CommitRequest.builder(CommitLimits.DEFAULTS).requestId(requestId);
            for (Precondition p : preconditions) {
                b.pointRead(p.key(), true, p.version());
            }
            return b.write(b(key), b("v")).build();
        } catch (CommitRequestException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void commitsGetGapFreeVersionsAndAbortsConsumeNone() {
        Resolver r = resolver(1000);
        Outcome first = r.resolve(writing(id(1), "a"));
        assertEquals(Outcome.Kind.COMMITTED, first.kind());
        assertEquals(1, first.version());
        assertEquals(LEADER, first.leaderId());
        assertEquals(5_000_000, first.timestampMillis());
        assertTrue(first.mustPersist());
        // A conflicting transaction (read "a" at 0, written at 1) aborts without taking version 2.
        Outcome conflict = r.resolve(writing(id(2), "b", Precondition.pointRead(b("a"), 0)));
        assertEquals(Outcome.Kind.CONFLICT, conflict.kind());
        assertArrayEquals(new int[] {0}, conflict.conflicts());
        assertEquals(id(2), conflict.requestId());
        assertEquals(409, CommitResponses.status(conflict));
        assertEquals(2, r.resolve(writing(id(3), "c", Precondition.pointRead(b("a"), 1))).version());
        assertEquals(2, r.lastVersion());
    }

    @Test
    void laterTransactionsSeeEarlierOnesOfTheSameBatch() {
        Resolver r = resolver(1000);
        r.resolve(writing(id(1), "seed"));
        // Both read "x" at version 1 and write it: the first commits, the second must see it and abort.
        Outcome a = r.resolve(writing(id(2), "x", Precondition.pointRead(b("x"), 1)));
        Outcome b = r.resolve(writing(id(3), "x", Precondition.pointRead(b("x"), 1)));
        assertEquals(Outcome.Kind.COMMITTED, a.kind());
        assertEquals(Outcome.Kind.CONFLICT, b.kind());
    }

    @Test
    void leaderMismatch() {
        Resolver r = resolver(1000);
        Outcome o = r.resolve(request(id(1), "someone-else", null));
        assertEquals(Outcome.Kind.LEADER_MISMATCH, o.kind());
        assertEquals(LEADER, o.leaderId());
        assertEquals("{\"status\":\"not_committed\",\"reason\":\"leader_mismatch\",\"leader_id\":\"leader-1\"}",
                new String(CommitResponses.body(o), StandardCharsets.UTF_8));
        assertEquals(Outcome.Kind.COMMITTED, r.resolve(request(id(1), LEADER, null)).kind());
        assertEquals(0 + 1, r.lastVersion());
    }

    /** A committed id is answered with its version whatever leader the retry names: "not_committed" would be false. */
    @Test
    void aCommittedRequestIdWinsOverALeaderMismatch() {
        Resolver r = resolver(1000);
        assertEquals(1, r.resolve(writing(id(1), "a")).version());
        Outcome retry = r.resolve(request(id(1), "a-previous-term", null));
        assertEquals(Outcome.Kind.DUPLICATE, retry.kind());
        assertEquals(1, retry.version());
        assertEquals(Outcome.Kind.LEADER_MISMATCH, r.resolve(request(id(2), "a-previous-term", null)).kind());
    }

    @Test
    void retryingACommittedRequestIdReturnsTheOriginalVersion() {
        Resolver r = resolver(1000);
        assertEquals(1, r.resolve(writing(id(1), "a")).version());
        assertEquals(2, r.resolve(writing(id(2), "b")).version());
        Outcome retry = r.resolve(writing(id(1), "a", Precondition.pointRead(b("a"), 0)));  // would conflict now
        assertEquals(Outcome.Kind.DUPLICATE, retry.kind());
        assertEquals(1, retry.version());
        assertTrue(!retry.mustPersist() && retry.committed());
        assertEquals(200, CommitResponses.status(retry));
        assertEquals("{\"status\":\"committed\",\"version\":1,\"request_id\":\"" + id(1) + "\",\"leader_id\":\"leader-1\"}",
                new String(CommitResponses.body(retry), StandardCharsets.UTF_8));
        assertEquals(2, r.lastVersion(), "not applied twice");
    }

    @Test
    void statusBansTheIdForLaterCommits() {
        Resolver r = resolver(1000);
        assertEquals(RequestStatus.NOT_COMMITTED, r.status(id(7)));
        Outcome o = r.resolve(writing(id(7), "a"));
        assertEquals(Outcome.Kind.REQUEST_ID_BANNED, o.kind());
        assertEquals(id(7), o.requestId());
        assertEquals(0, r.lastVersion());
        assertEquals(RequestStatus.NOT_COMMITTED, r.status(id(7)), "still never committed");
        // A committed id stays committed, status or not.
        r.resolve(writing(id(8), "b"));
        assertEquals(RequestStatus.committed(1), r.status(id(8)));
        assertEquals(Outcome.Kind.DUPLICATE, r.resolve(writing(id(8), "b")).kind());
    }

    @Test
    void preconditionVersionsMustBeWithinTheHistory() {
        Resolver r = resolver(3);
        for (int i = 1; i <= 5; i++) {
            r.resolve(writing(id(i), "k" + i));
        }
        assertEquals(2, r.oldestCheckableVersion());
        Outcome future = r.resolve(request(id(10), null, 6L, Precondition.pointRead(b("a"))));
        assertEquals(Outcome.Kind.BAD_REQUEST, future.kind());
        assertEquals("read_version: version 6 is newer than the latest committed version 5", future.message());
        assertEquals(400, CommitResponses.status(future));
        future = r.resolve(request(id(10), null, 5L, Precondition.pointRead(b("a")), Precondition.pointRead(b("a"), 9)));
        assertEquals("preconditions[1].version: version 9 is newer than the latest committed version 5", future.message());

        Outcome old = r.resolve(request(id(11), null, 5L, Precondition.pointRead(b("a")), Precondition.pointRead(b("a"), 1)));
        assertEquals(Outcome.Kind.READ_VERSION_TOO_OLD, old.kind());
        assertEquals(2, old.oldestVersion());
        assertEquals("{\"status\":\"not_committed\",\"reason\":\"read_version_too_old\",\"oldest_version\":2}",
                new String(CommitResponses.body(old), StandardCharsets.UTF_8));
        assertEquals(Outcome.Kind.COMMITTED, r.resolve(request(id(12), null, 2L, Precondition.pointRead(b("a")))).kind());
        assertEquals(6, r.lastVersion());
        // A read_version no precondition uses is not checked.
        assertEquals(Outcome.Kind.COMMITTED, r.resolve(request(id(13), null, 999L)).kind());
    }

    @Test
    void aMissingRequestIdIsGenerated() {
        Resolver r = resolver(1000);
        Outcome o = r.resolve(writing(null, "a"));
        assertEquals("generated-request-id-1", o.requestId());
        assertEquals(1, r.requestIds().committedVersion("generated-request-id-1"));
        Outcome conflict = r.resolve(writing(null, "b", Precondition.pointRead(b("a"), 0)));
        assertEquals("generated-request-id-2", conflict.requestId());
    }

    @Test
    void theOutcomeHolderIsReusable() {
        Resolver r = resolver(1000);
        Outcome slot = new Outcome();
        assertSame(slot, r.resolve(writing(id(1), "a"), slot));
        r.resolve(writing(id(2), "b", Precondition.pointRead(b("a"), 0)), slot);
        assertEquals(Outcome.Kind.CONFLICT, slot.kind());
        assertEquals(0, slot.version());
        r.resolve(writing(id(3), "c"), slot);
        assertEquals(Outcome.Kind.COMMITTED, slot.kind());
        assertEquals(null, slot.conflicts());
    }

    @Test
    void recoversFromTheLog() throws IOException {
        MemoryLog log = new MemoryLog(4);  // versions 1..3 were truncated
        for (long v = 4; v <= 10; v++) {
            List<Operation> ops = List.of(Operation.write(b("key" + v), b("v")));
            log.records.add(new LogRecord(v, id((int) v), clock.get(), OperationsCodec.encodeJson(ops)));
        }
        ResolverConfig config = new ResolverConfig(3, Long.MAX_VALUE, Duration.ofHours(1), 100);
        Resolver r = Resolver.recover(log, "leader-2", config, clock::get);
        assertEquals(10, r.lastVersion());
        assertEquals(7, r.oldestCheckableVersion(), "history holds the last 3 versions");
        assertEquals(4, r.requestIds().committedVersion(id(4)), "every retained record's id");
        assertEquals(RequestStatus.LOG_TRUNCATED, r.status("unknown-request-id-123456"), "ids before version 4 are unknown");
        Outcome conflict = r.resolve(request(id(20), null, 8L, Precondition.pointRead(b("key9"))));
        assertEquals(Outcome.Kind.CONFLICT, conflict.kind(), "replayed writes conflict");
        assertEquals(Outcome.Kind.DUPLICATE, r.resolve(writing(id(5), "x")).kind());
        assertEquals(11, r.resolve(writing(id(21), "x")).version());
        assertEquals("leader-2", r.leaderId());

        MemoryLog fresh = new MemoryLog(1);
        Resolver empty = Resolver.recover(fresh, "leader-3", ResolverConfig.DEFAULTS, clock::get);
        assertEquals(0, empty.lastVersion());
        assertEquals(RequestStatus.NOT_COMMITTED, empty.status("unknown-request-id-123456"));
        assertEquals(1, empty.resolve(writing(id(1), "a")).version());
    }

    /** An archive holding every truncated version's id, from version 1: nothing is forgotten, unknown ids are not committed. */
    @Test
    void aCompleteArchiveKeepsUnknownIdsDefinitive() throws IOException {
        MemoryLog log = new MemoryLog(4);  // versions 1..3 truncated, all archived
        log.records.add(new LogRecord(4, id(4), clock.get(), OperationsCodec.encodeJson(List.of())));
        IdArchive archive = new IdArchive() {
            @Override public void keep(CommitLog l, long from, long to) { }
            @Override public long archivedTo() { return 0; }
            @Override public long oldestVersion() { return 1; }
            @Override public void replay(long before, Visitor v) {
                for (int i = 1; i < before; i++) v.visit(id(i), i, clock.get());
            }
        };
        ResolverConfig config = new ResolverConfig(3, Long.MAX_VALUE, Duration.ofHours(1), 100);
        Resolver r = Resolver.recover(log, archive, null, "leader-2", config, clock::get);
        assertEquals(RequestStatus.NOT_COMMITTED, r.status("never-used-request-id-0001"));
        assertEquals(2, r.requestIds().committedVersion(id(2)));
        assertEquals(RequestStatus.LOG_TRUNCATED, Resolver.recover(log, null, null, "leader-3", config, clock::get)
            .status("never-used-request-id-0002"), "without the archive, versions 1..3 are forgotten");
    }

    /** Ids truncated from the log but still within retention come back from the archive, before the log's. */
    @Test
    void recoversArchivedIdsBeforeTheLogs() throws IOException {
        MemoryLog log = new MemoryLog(6);  // versions 1..5 were truncated; the archive kept the ids of 3 and 5
        log.records.add(new LogRecord(6, id(6), clock.get(), OperationsCodec.encodeJson(List.of())));
        List<Object[]> archived = List.of(new Object[] {id(3), 3L}, new Object[] {id(5), 5L}, new Object[] {id(6), 6L});
        IdArchive archive = new IdArchive() {
            @Override public void keep(CommitLog l, long from, long to) { }
            @Override public long archivedTo() { return 0; }
            @Override public long oldestVersion() { return 3; }
            @Override public void replay(long before, Visitor v) throws IOException {
                // Like a file archive after a crash between archiving and truncating: 6 is in the log too.
                for (Object[] e : archived) if ((long) e[1] < before) v.visit((String) e[0], (long) e[1], clock.get());
            }
        };
        Resolver r = Resolver.recover(log, archive, null, "leader-2", new ResolverConfig(3, Long.MAX_VALUE, Duration.ofHours(1), 100),
            clock::get);
        assertEquals(6, r.lastVersion());
        assertEquals(3, r.requestIds().committedVersion(id(3)), "archived");
        assertEquals(5, r.requestIds().committedVersion(id(5)), "archived");
        assertEquals(6, r.requestIds().committedVersion(id(6)), "from the log");
        assertEquals(Outcome.Kind.DUPLICATE, r.resolve(writing(id(3), "x")).kind(), "a retry of an archived id is not applied again");
        assertEquals(RequestStatus.LOG_TRUNCATED, r.status(id(4)), "not archived: cannot be proven never committed");
        assertEquals(7, r.resolve(writing(id(7), "x")).version());
    }

    @Test
    void recoveryRefusesACorruptPayload() {
        MemoryLog log = new MemoryLog(1);
        log.records.add(new LogRecord(1, id(1), clock.get(), b("[{\"type\":\"bogus\"}]")));
        IOException e = assertThrows(IOException.class, () -> Resolver.recover(log, LEADER, ResolverConfig.DEFAULTS, clock::get));
        assertTrue(e.getMessage().contains("log record 1"), e.getMessage());
        assertNotNull(e.getMessage());
    }

    /** An in-memory log holding versions [oldest, oldest + records.size()). */
    private static final class MemoryLog implements CommitLog {
        final List<LogRecord> records = new ArrayList<>();
        final long oldest;

        MemoryLog(long oldest) {
            this.oldest = oldest;
        }

        @Override
        public long lastVersion() {
            return oldest + records.size() - 1;
        }

        @Override
        public long oldestVersion() {
            return oldest;
        }

        @Override
        public void append(LogRecord record) {
            records.add(record);
        }

        @Override
        public void sync() { }

        @Override
        public void read(long fromVersion, Predicate<LogRecord> visitor) {
            for (LogRecord r : records) {
                if (r.version() >= fromVersion && !visitor.test(r)) {
                    return;
                }
            }
        }

        @Override
        public long truncationPoint(long version) {
            return oldestVersion();
        }

        @Override
        public void truncateBefore(long version) { }

        @Override
        public void close() { }
    }
}
