package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RequestIdIndexTest {
    private static final long HOUR = 3_600_000;
    private final AtomicLong clock = new AtomicLong(1_000_000);

    private RequestIdIndex index(long retentionVersions) {
        return new RequestIdIndex(HOUR, retentionVersions, 0, 0, clock::get);
    }

    @Test
    void remembersCommits() {
        RequestIdIndex ids = index(10);
        ids.recordCommit("a", 1, clock.get());
        ids.recordCommit("b", 2, clock.get());
        assertEquals(1, ids.committedVersion("a"));
        assertEquals(2, ids.committedVersion("b"));
        assertEquals(RequestIdIndex.NOT_COMMITTED, ids.committedVersion("c"));
        assertEquals(RequestStatus.committed(2), ids.queryAndBan("b"));
        assertFalse(ids.isBanned("b"), "a committed id is not banned by a status query");
        assertThrows(IllegalArgumentException.class, () -> ids.recordCommit("d", 2, clock.get()));
    }

    /**
     * Beyond maxEntries the oldest ids go before their time, but never within the last retentionVersions
     * versions; what is gone answers LOG_TRUNCATED, as after a restart.
     */
    @Test
    void theMemoryBoundForgetsTheOldestEarlyButNeverShortensTheVersionsRule() {
        RequestIdIndex ids = new RequestIdIndex(HOUR, 5, 10, 0, 0, clock::get);
        for (long v = 1; v <= 30; v++) ids.recordCommit("id" + v, v, clock.get()); // all within the hour
        assertEquals(10, ids.size());
        assertEquals(20, ids.forgottenEarly());
        assertEquals(RequestIdIndex.NOT_COMMITTED, ids.committedVersion("id20"));
        for (long v = 21; v <= 30; v++) assertEquals(v, ids.committedVersion("id" + v));
        assertEquals(RequestStatus.LOG_TRUNCATED, ids.queryAndBan("id3"));

        RequestIdIndex floor = new RequestIdIndex(HOUR, 50, 10, 0, 0, clock::get);
        for (long v = 1; v <= 30; v++) floor.recordCommit("id" + v, v, clock.get());
        assertEquals(30, floor.size(), "the versions rule keeps all 30 (fewer than 50 versions after each)");
        assertEquals(0, floor.forgottenEarly());
        assertEquals(1, floor.committedVersion("id1"));
    }

    /** Status queries for random ids make bans but no versions: the bound still holds, bans going first. */
    @Test
    void aFloodOfStatusQueriesStaysWithinTheBoundAndCommitsKeepTheirVersionsRule() {
        RequestIdIndex ids = new RequestIdIndex(HOUR, 100, 50, 0, 0, clock::get);
        for (long v = 1; v <= 20; v++) ids.recordCommit("commit" + v, v, clock.get());
        for (int i = 0; i < 10_000; i++) ids.queryAndBan("random-" + i);
        assertTrue(ids.size() <= 50, "held " + ids.size());
        for (long v = 1; v <= 20; v++) assertEquals(v, ids.committedVersion("commit" + v), "commits within the versions rule stay");
        assertTrue(ids.isBanned("random-9999"), "the newest bans are kept");
        assertFalse(ids.isBanned("random-0"));
        assertEquals(10_000 - 30, ids.forgottenEarly());
    }

    @Test
    void forgettingNeedsBothTimeAndVersions() {
        RequestIdIndex ids = index(3);
        ids.recordCommit("old", 1, clock.get());
        // Many versions, little time: kept.
        for (long v = 2; v <= 10; v++) {
            ids.recordCommit("id" + v, v, clock.get());
        }
        assertEquals(1, ids.committedVersion("old"));
        // Enough time, then: forgotten at the next eviction (versions 1..6 have more than 3 after them).
        clock.addAndGet(HOUR);
        ids.evictExpired();
        assertEquals(RequestIdIndex.NOT_COMMITTED, ids.committedVersion("old"));
        assertEquals(RequestIdIndex.NOT_COMMITTED, ids.committedVersion("id6"));
        assertEquals(7, ids.committedVersion("id7"), "only 3 versions after it: kept");
        assertEquals(6, ids.forgottenUpToVersion());

        // Much time, few versions: kept.
        RequestIdIndex other = index(3);
        other.recordCommit("x", 1, clock.get());
        other.recordCommit("y", 2, clock.get());
        clock.addAndGet(100 * HOUR);
        other.evictExpired();
        assertEquals(1, other.committedVersion("x"));
        assertEquals(0, other.forgottenUpToVersion());
    }

    @Test
    void retentionBoundariesAreExact() {
        RequestIdIndex ids = index(2);
        long t0 = clock.get();
        ids.recordCommit("a", 1, t0);
        ids.recordCommit("b", 2, t0);
        ids.recordCommit("c", 3, t0);
        clock.set(t0 + HOUR - 1);
        ids.recordCommit("d", 4, clock.get());  // 3 versions after "a": versions rule met, time rule not yet
        assertEquals(1, ids.committedVersion("a"));
        clock.set(t0 + HOUR);
        ids.evictExpired();
        assertEquals(RequestIdIndex.NOT_COMMITTED, ids.committedVersion("a"));
        assertEquals(2, ids.committedVersion("b"), "only 2 versions after it: not more than 2");
    }

    @Test
    void statusOfAnUnknownIdDependsOnWhetherAnythingWasForgotten() {
        RequestIdIndex ids = index(1);
        assertEquals(RequestStatus.NOT_COMMITTED, ids.queryAndBan("never-1"), "nothing forgotten: definitive");
        ids.recordCommit("a", 1, clock.get());
        ids.recordCommit("b", 2, clock.get());
        ids.recordCommit("c", 3, clock.get());
        assertEquals(RequestStatus.NOT_COMMITTED, ids.queryAndBan("never-2"));
        clock.addAndGet(HOUR);
        ids.evictExpired();
        assertEquals(RequestStatus.LOG_TRUNCATED, ids.queryAndBan("a"), "forgotten: cannot prove it never committed");
        assertEquals(RequestStatus.LOG_TRUNCATED, ids.queryAndBan("never-3"));
        assertEquals(RequestStatus.committed(3), ids.queryAndBan("c"));

        RequestIdIndex recovered = new RequestIdIndex(HOUR, 1, 41, 41, clock::get);  // log truncated before 42
        assertEquals(RequestStatus.LOG_TRUNCATED, recovered.queryAndBan("whatever"));
    }

    @Test
    void statusBansAndBansExpireByTheSameRule() {
        RequestIdIndex ids = index(2);
        ids.recordCommit("a", 1, clock.get());
        assertEquals(RequestStatus.NOT_COMMITTED, ids.queryAndBan("x"));
        assertTrue(ids.isBanned("x"));
        assertEquals(RequestIdIndex.NOT_COMMITTED, ids.committedVersion("x"));
        ids.recordCommit("b", 2, clock.get());
        ids.recordCommit("c", 3, clock.get());
        ids.recordCommit("d", 4, clock.get());  // 3 versions after the ban (made at version 1)
        assertTrue(ids.isBanned("x"), "time rule not met");
        clock.addAndGet(HOUR);
        ids.evictExpired();
        assertFalse(ids.isBanned("x"));
        assertEquals(1, ids.forgottenUpToVersion(), "forgetting a ban does not move the commit horizon");
    }

    @Test
    void aRepeatedQueryRenewsTheBan() {
        RequestIdIndex ids = index(0);
        ids.queryAndBan("x");
        clock.addAndGet(HOUR - 1);
        ids.recordCommit("a", 1, clock.get());
        ids.queryAndBan("x");                      // renewed at version 1
        clock.addAndGet(1);
        ids.recordCommit("b", 2, clock.get());   // the first ban is now expired, the renewed one not (time)
        assertTrue(ids.isBanned("x"));
        clock.addAndGet(HOUR);
        ids.evictExpired();
        assertFalse(ids.isBanned("x"));
        assertEquals(1, ids.size(), "only \"b\", with no version after it yet");
    }

    @Test
    void aClockGoingBackwardsCannotShortenRetention() {
        RequestIdIndex ids = index(0);
        ids.recordCommit("a", 1, clock.get());
        ids.recordCommit("b", 2, clock.get() - 10 * HOUR);  // stamped as late as "a"
        ids.recordCommit("c", 3, clock.get());
        ids.evictExpired();
        assertEquals(2, ids.committedVersion("b"));
    }

    /** An id longer than any commit may carry is answered not_committed, and not remembered as a ban. */
    @Test
    void aStatusQueryForAnIdNoCommitCanCarryIsNotCommittedAndLeavesNoBan() {
        RequestIdIndex ids = index(10);
        String tooLong = "é".repeat(CommitLimits.MAX_REQUEST_ID_BYTES / 2 + 1);  // 2 UTF-8 bytes each
        assertEquals(RequestStatus.NOT_COMMITTED, ids.queryAndBan(tooLong));
        assertFalse(ids.isBanned(tooLong));
        assertEquals(0, ids.size());
        String longest = "😀".repeat(CommitLimits.MAX_REQUEST_ID_BYTES / 4);  // 2 chars, 4 UTF-8 bytes each
        assertEquals(RequestStatus.NOT_COMMITTED, ids.queryAndBan(longest));
        assertTrue(ids.isBanned(longest));
    }

    /**
     * Random commits, status queries (bans and renewals), lookups and clock moves, with small bounds so that
     * both retention rules and the memory bound evict constantly, checked step by step against the object-based
     * implementation it replaced. Ids include non-ASCII ones and lengths that cross the 8-byte hash blocks.
     */
    @Test
    void behavesExactlyLikeTheObjectIndexItReplaced() {
        java.util.Random random = new java.util.Random(42);
        for (int trial = 0; trial < 20; trial++) {
            long retentionVersions = random.nextInt(50);
            long maxEntries = 1 + random.nextInt(trial % 2 == 0 ? 40 : 4000);
            long retentionMillis = random.nextInt(100);
            RequestIdIndex ids = new RequestIdIndex(retentionMillis, retentionVersions, maxEntries, 0, 0, clock::get);
            ObjectRequestIdIndex model = new ObjectRequestIdIndex(retentionMillis, retentionVersions, maxEntries, 0, 0, clock::get);
            long version = 0;
            for (int step = 0; step < 5_000; step++) {
                String id = randomId(random);
                switch (random.nextInt(6)) {
                    case 0, 1 -> {
                        if (!ids.isBanned(id) && ids.committedVersion(id) == RequestIdIndex.NOT_COMMITTED) {
                            version += 1 + (random.nextInt(10) == 0 ? random.nextInt(5) : 0);
                            ids.recordCommit(id, version, clock.get());
                            model.recordCommit(id, version, clock.get());
                        }
                    }
                    case 2 -> assertEquals(model.queryAndBan(id), ids.queryAndBan(id), "trial " + trial + " step " + step);
                    case 3 -> clock.addAndGet(random.nextInt(20));
                    case 4 -> {
                        ids.evictExpired();
                        model.evictExpired();
                    }
                    default -> { }
                }
                assertEquals(model.committedVersion(id), ids.committedVersion(id), "trial " + trial + " step " + step + " " + id);
                assertEquals(model.isBanned(id), ids.isBanned(id), "trial " + trial + " step " + step + " " + id);
                assertEquals(model.size(), ids.size(), "trial " + trial + " step " + step);
                assertEquals(model.forgottenUpToVersion(), ids.forgottenUpToVersion(), "trial " + trial + " step " + step);
                assertEquals(model.forgottenEarly(), ids.forgottenEarly(), "trial " + trial + " step " + step);
            }
        }
    }

    /** Ids from a small pool (so commits, bans and lookups meet), 1 to 40 characters, some not ASCII. */
    private static String randomId(java.util.Random random) {
        int n = random.nextInt(300);
        String base = "id-" + n + "-" + "x".repeat(n % 37);
        return n % 11 == 0 ? base + "é€" : base;
    }
}
