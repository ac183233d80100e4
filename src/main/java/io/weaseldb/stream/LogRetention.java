package io.weaseldb.stream;

import io.weaseldb.storage.CommitLog;
import io.weaseldb.storage.IdArchive;
import io.weaseldb.storage.RetentionPolicyStore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Deletes commit-log history nobody may need any more (API.md "Retention policies"): the log keeps every version
 * ≥ {@code min(min_version over all policies, latest − retain_versions)}. A background thread recomputes that
 * bound every {@code interval} (a read of the policy snapshot and two volatile reads) and hands it to
 * {@link CommitLog#truncateBefore}, which removes only whole segments entirely below it, never the active one,
 * and needs no lock against appends: commits are never blocked. Versions at or above the bound are always kept;
 * some below it may survive until their segment is entirely below the bound. The ids of every sealed segment whose
 * request-id retention has not passed are made durable in the {@link IdArchive} (when there is one) before the
 * segment can go, so a restart still knows them.
 */
public final class LogRetention implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LogRetention.class.getName());
    /** How often a failure that goes on is logged again. */
    private static final long REPEAT_REPORT_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final CommitLog log;
    private final IdArchive ids;
    private final RetentionPolicyStore policies;
    private final long retainVersions;
    private final long intervalNanos;
    private final Thread thread;
    private volatile boolean closed;

    private LogRetention(CommitLog log, IdArchive ids, RetentionPolicyStore policies, long retainVersions, Duration interval) {
        if (retainVersions < 0) throw new IllegalArgumentException("retainVersions must be ≥ 0: " + retainVersions);
        if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException("interval must be positive: " + interval);
        this.log = log;
        this.ids = ids;
        this.policies = policies;
        this.retainVersions = retainVersions;
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this::run, "weaseldb-log-retention");
        thread.setDaemon(true);
    }

    /**
     * Starts the background truncation thread ({@code retainVersions} is {@code [storage] retain_versions});
     * {@code ids} may be null (ids then leave with their records).
     */
    public static LogRetention start(CommitLog log, IdArchive ids, RetentionPolicyStore policies, long retainVersions,
                                     Duration interval) {
        LogRetention r = new LogRetention(log, ids, policies, retainVersions, interval);
        r.thread.start();
        return r;
    }

    /** A stopped instance, for running {@link #runOnce()} by hand (tests, tools). */
    public static LogRetention manual(CommitLog log, IdArchive ids, RetentionPolicyStore policies, long retainVersions) {
        return new LogRetention(log, ids, policies, retainVersions, Duration.ofSeconds(1));
    }

    /** The first version the log must keep: {@code min(min over policies, latest − retain_versions)}, at least 1. */
    public long keepFrom() {
        long bound = log.lastVersion() - retainVersions;
        OptionalLong pinned = policies.minOfAll();
        if (pinned.isPresent()) bound = Math.min(bound, pinned.getAsLong());
        return Math.max(1, bound);
    }

    /** Computes the bound and truncates before it once; returns the bound. */
    public long runOnce() throws IOException {
        IOException archiving = null;
        if (ids != null) {
            try {
                archiveSealedSegments();
            } catch (IOException e) {
                archiving = e;  // what is already archived may still be truncated: that frees room
            }
        }
        long keep = keepFrom();
        long oldest = log.oldestVersion();
        long cut = keep > oldest ? log.truncationPoint(keep) : oldest;
        if (ids != null) cut = Math.min(cut, Math.max(oldest, ids.archivedTo()));  // never ids that are not durable elsewhere
        if (cut > oldest) log.truncateBefore(cut);
        if (archiving != null) throw archiving;
        return keep;
    }

    /**
     * Archives the ids of every sealed segment (all but the active one) not archived yet, as soon as it is sealed
     * rather than when it is deleted: so truncation never needs room to write first, and a disk that fills up still
     * frees itself (the crash audit filled one: with the archive written at truncation, retention could delete
     * nothing). The segment is also still in the page cache.
     */
    private void archiveSealedSegments() throws IOException {
        long sealedEnd = log.truncationPoint(Long.MAX_VALUE);  // the active segment's first version
        long from = Math.max(log.oldestVersion(), ids.archivedTo());
        if (sealedEnd > from) ids.keep(log, from, sealedEnd);
    }

    private void run() {
        FailureReports failures = new FailureReports(REPEAT_REPORT_NANOS);
        while (!closed) {
            try {
                runOnce();
                long failed = failures.succeeded();
                if (failed > 0) LOG.log(Level.INFO, "log retention: truncation works again after " + failed + " failed attempt(s)");
            } catch (IOException | RuntimeException e) {
                if (!closed) report(failures, e);
            }
            LockSupport.parkNanos(this, intervalNanos);
        }
    }

    /**
     * A full disk fails every attempt, once a second, for as long as it lasts: the first failure is logged with its
     * stack trace, repeats as one line a minute with their count, so the log stays readable (the disk-full audit
     * printed a 20-line trace every second).
     */
    private static void report(FailureReports failures, Exception e) {
        long n = failures.failed(System.nanoTime());
        if (n == 1) {
            LOG.log(Level.WARNING, "log retention: truncation failed (will retry every interval): " + e, e);
        } else if (n > 1) {
            LOG.log(Level.WARNING, "log retention: truncation still failing (" + n + " failed attempts in a row): " + e);
        }
    }

    /** Stops the thread (waits for a truncation in progress to finish). Call before closing the log. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        if (thread.isAlive()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
