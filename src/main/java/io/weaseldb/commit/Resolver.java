package io.weaseldb.commit;

import io.weaseldb.storage.BanJournal;
import io.weaseldb.storage.CommitLog;
import io.weaseldb.storage.IdArchive;
import io.weaseldb.storage.LogRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The resolve stage's logic: decides commit or abort for each request, in pipeline order, and gives each
 * committed transaction the next version. Versions are assigned here, after the decision, so aborted
 * transactions consume none and versions stay gap-free. A transaction resolved later sees every earlier
 * one (including those of the same batch), because each commit is recorded before the next is checked.
 *
 * <p>Checks, in order: request id already committed (→ the original version, nothing applied again, whatever
 * leader the retry names); leader; request id banned; precondition versions newer than the last commit (400) or older than the
 * conflict history (409); preconditions; then commit.
 *
 * <p>A version handed out is final: the persist stage must make it durable or stop the pipeline for good
 * (a failed append cannot be skipped without a gap). COMMITTED and DUPLICATE may be answered only once
 * their version is durable, as may a COMMITTED status.
 *
 * <p>Single-threaded by contract: every method is called by the one resolve thread (or, before the pipeline
 * starts, by the thread that recovers it).
 */
public final class Resolver {
    private final String leaderId;
    private final ConflictHistory history;
    private final RequestIdIndex requestIds;
    private final Supplier<String> requestIdGenerator;
    private long lastVersion;

    /** A resolver generating random UUIDs for requests without an id. */
    public Resolver(String leaderId, ConflictHistory history, RequestIdIndex requestIds) {
        this(leaderId, history, requestIds, () -> UUID.randomUUID().toString());
    }

    /**
     * @param leaderId           this process's leadership term
     * @param history            conflict history; its last version is the last committed version
     * @param requestIds         request-id index at the same last version
     * @param requestIdGenerator ids for requests that carry none (random UUIDs by default)
     */
    public Resolver(String leaderId, ConflictHistory history, RequestIdIndex requestIds, Supplier<String> requestIdGenerator) {
        this.leaderId = Objects.requireNonNull(leaderId, "leaderId");
        this.history = Objects.requireNonNull(history, "history");
        this.requestIds = Objects.requireNonNull(requestIds, "requestIds");
        this.requestIdGenerator = Objects.requireNonNull(requestIdGenerator, "requestIdGenerator");
        if (history.lastVersion() != requestIds.lastVersion()) {
            throw new IllegalArgumentException("history at version " + history.lastVersion()
                    + " but request ids at " + requestIds.lastVersion());
        }
        this.lastVersion = history.lastVersion();
    }

    /**
     * Rebuilds the resolver's state from the log: every retained record's request id, and the operations of
     * the last {@code historyMaxVersions} records. Ids of versions truncated from the log count as forgotten.
     *
     * @throws IOException if the log cannot be read or a payload is corrupt
     */
    public static Resolver recover(CommitLog log, String leaderId, ResolverConfig config, LongSupplier clockMillis)
            throws IOException {
        return recover(log, null, null, leaderId, config, clockMillis);
    }

    /**
     * As {@link #recover(CommitLog, String, ResolverConfig, LongSupplier)}, with the ids of {@code archive} (commits
     * truncated from the log whose retention has not passed) before the log's, and the bans of {@code bans} after
     * them; either may be null.
     */
    public static Resolver recover(CommitLog log, IdArchive archive, BanJournal bans, String leaderId, ResolverConfig config,
                                   LongSupplier clockMillis) throws IOException {
        long last = log.lastVersion();
        long beforeLog = log.oldestVersion() - 1;  // versions ≤ this are no longer in the log
        long historyStart = Math.max(beforeLog, last - config.historyMaxVersions());
        ConflictHistory history = new ConflictHistory(historyStart, config.historyMaxVersions(), config.historyMaxBytes());
        long firstArchived = archive == null ? Long.MAX_VALUE : archive.oldestVersion();
        // Nothing is forgotten (unknown ids are definitively not committed) until shown otherwise: versions truncated
        // from the log whose ids the archive does not hold, every one from version 1 on.
        RequestIdIndex ids = new RequestIdIndex(config.requestIdRetention().toMillis(), config.requestIdRetentionVersions(),
                config.requestIdMaxEntries(), Math.min(beforeLog, firstArchived - 1), 0, clockMillis);
        long[] expected = {1};
        boolean[] gap = {false};
        if (archive != null) {
            archive.replay(beforeLog + 1, (id, version, millis) -> {
                gap[0] |= version != expected[0];
                expected[0] = version + 1;
                ids.recordCommit(id, version, millis);
            });
            ids.skipTo(beforeLog);  // the archive holds only ids still within retention: not every version
        }
        if (gap[0] || expected[0] != beforeLog + 1) ids.forgotUpTo(beforeLog);
        try {
            log.read(beforeLog + 1, (LogRecord r) -> {
                ids.recordCommit(r.requestId(), r.version(), r.timestampMillis());
                if (r.version() > historyStart) {
                    try {
                        history.record(r.version(), OperationsCodec.decodeJson(r.payload()));
                    } catch (IOException e) {
                        throw new UncheckedIOException(new IOException("log record " + r.version() + ": " + e.getMessage(), e));
                    }
                }
                return true;
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (ids.lastVersion() != last || history.lastVersion() != last) {
            throw new IOException("log read ended at version " + ids.lastVersion() + " but its last version is " + last);
        }
        if (bans != null) bans.replay(b -> ids.restoreBan(b.requestId(), b.version(), b.timestampMillis()));
        return new Resolver(leaderId, history, ids);
    }

    /** Resolves into a new {@link Outcome}. */
    public Outcome resolve(CommitRequest request) {
        return resolve(request, new Outcome());
    }

    /** Decides {@code request} and fills {@code out} (reused by the caller); returns {@code out}. */
    public Outcome resolve(CommitRequest request, Outcome out) {
        String id = request.requestId();
        long committedAt = id == null ? RequestIdIndex.NOT_COMMITTED : requestIds.committedVersion(id);
        if (committedAt != RequestIdIndex.NOT_COMMITTED) {
            // Before the leader check: a retry from before a restart carries the old leader_id, and answering it
            // 409 "not_committed" would be false (the client might then resubmit under a new id: applied twice).
            return out.set(Outcome.Kind.DUPLICATE, committedAt, id, leaderId);
        }
        if (request.leaderId() != null && !request.leaderId().equals(leaderId)) {
            return out.set(Outcome.Kind.LEADER_MISMATCH, 0, null, leaderId);
        }
        if (id != null) {
            if (requestIds.isBanned(id)) {
                return out.set(Outcome.Kind.REQUEST_ID_BANNED, 0, id, null);
            }
        }
        List<Precondition> preconditions = request.preconditions();
        long oldest = history.oldestCheckableVersion();
        boolean tooOld = false;
        for (int i = 0, n = preconditions.size(); i < n; i++) {
            long v = request.effectiveVersion(i);
            if (v > lastVersion) {
                String field = preconditions.get(i).hasVersion() ? "preconditions[" + i + "].version" : "read_version";
                return out.set(Outcome.Kind.BAD_REQUEST, 0, null, null).message(field + ": version " + v
                        + " is newer than the latest committed version " + lastVersion);
            }
            tooOld |= v < oldest;
        }
        if (tooOld) {
            return out.set(Outcome.Kind.READ_VERSION_TOO_OLD, 0, null, null).oldestVersion(oldest);
        }
        int[] conflicts = history.check(request);
        if (conflicts.length > 0) {
            return out.set(Outcome.Kind.CONFLICT, 0, id != null ? id : requestIdGenerator.get(), null).conflicts(conflicts);
        }
        if (id == null) {
            id = requestIdGenerator.get();
        }
        long version = ++lastVersion;
        long now = requestIds.now();
        history.record(version, request.operations());
        requestIds.recordCommit(id, version, now);
        return out.set(Outcome.Kind.COMMITTED, version, id, leaderId).timestampMillis(now);
    }

    /**
     * Answers {@code GET /v1/status} at this point of the sequence and bans the id for every later commit.
     * A COMMITTED answer may be sent only once its version is durable.
     */
    public RequestStatus status(String requestId) {
        return requestIds.queryAndBan(Objects.requireNonNull(requestId, "requestId"));
    }

    /** The last version assigned (durable or not). */
    public long lastVersion() {
        return lastVersion;
    }

    public long oldestCheckableVersion() {
        return history.oldestCheckableVersion();
    }

    public String leaderId() {
        return leaderId;
    }

    public ConflictHistory history() {
        return history;
    }

    public RequestIdIndex requestIds() {
        return requestIds;
    }
}
