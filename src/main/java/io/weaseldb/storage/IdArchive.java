package io.weaseldb.storage;

import java.io.IOException;

/**
 * Request ids of commits that have left the commit log but may not be forgotten yet. API.md forgets an id only once
 * both {@code request_id_retention_hours} and {@code request_id_retention_versions} have passed, while the log is
 * kept by rules of its own ({@code retain_versions}, retention policies): before records leave the log, the ids a
 * restart may still need are kept here, and recovery reads them before the log's. The local-disk implementation is
 * {@code FileIdArchive}; an object-store one can implement this beside its commit log.
 *
 * <p>Threading: {@link #keep} from the one thread that truncates the log; {@link #oldestVersion} and {@link #replay}
 * once at startup, before it runs.
 */
public interface IdArchive {
    @FunctionalInterface
    interface Visitor {
        void visit(String requestId, long version, long timestampMillis);
    }

    /**
     * Keeps the ids of {@code log}'s records with versions in [{@code fromVersion}, {@code toVersion}) that the
     * retention rules do not let go yet, and returns once they are durable: from then on the log may remove those
     * records. {@code fromVersion} is {@link #archivedTo()} (or the log's oldest version, if that is later).
     */
    void keep(CommitLog log, long fromVersion, long toVersion) throws IOException;

    /** The end (exclusive) of the versions archived so far, or 0 when nothing is. */
    long archivedTo();

    /** A version at or below the oldest archived one, or {@link Long#MAX_VALUE} when nothing is archived. */
    long oldestVersion();

    /** Visits the archived ids of versions below {@code beforeVersion}, in version order, each once. */
    void replay(long beforeVersion, Visitor visitor) throws IOException;
}
