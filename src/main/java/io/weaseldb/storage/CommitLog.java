package io.weaseldb.storage;

import java.io.IOException;
import java.util.function.Predicate;

/**
 * The durable, ordered log of committed transactions. The local-disk implementation is
 * {@code SegmentedFileLog}; an object-store log can implement the same interface without the
 * pipeline noticing.
 *
 * <p>Threading: {@link #append} and {@link #sync} are called by one thread (the persist stage);
 * {@link #read} may run concurrently from other threads (subscribers replaying history);
 * {@link #truncateBefore} from one background thread (it is the only one that removes).
 */
public interface CommitLog extends AutoCloseable {
    /** Version of the newest record, or 0 when the log has never held one. */
    long lastVersion();

    /** Version of the oldest retained record; {@code lastVersion() + 1} when none is retained. */
    long oldestVersion();

    /** Buffers a record; {@code record.version()} must be {@code lastVersion() + 1}. Not durable until {@link #sync()}. */
    void append(LogRecord record) throws IOException;

    /** Makes every appended record durable (one fsync for the whole group when fsync is enabled). */
    void sync() throws IOException;

    /**
     * Bookkeeping a {@link #sync()} leaves for after its batch has been answered: it must follow the sync but
     * need not delay the answers. Best effort, never throws; called by the thread that syncs, before its next
     * append. Default: nothing to do.
     */
    default void afterSync() { }

    /**
     * Visits retained records with version ≥ {@code fromVersion} in order while {@code visitor} returns true.
     * Only durable records are visited.
     *
     * @throws LogTruncatedException if {@code max(fromVersion, 1) < oldestVersion()}: some requested versions
     *         are no longer retained (also when truncation removes them while the read runs)
     */
    void read(long fromVersion, Predicate<LogRecord> visitor) throws IOException;

    /**
     * Visits the request id, version and timestamp of retained records with versions in [{@code fromVersion},
     * {@code toVersion}), in order, as {@link #read} does (an implementation may skip decoding the payloads).
     */
    default void readRequestIds(long fromVersion, long toVersion, IdArchive.Visitor visitor) throws IOException {
        read(fromVersion, r -> {
            if (r.version() >= toVersion) return false;
            visitor.visit(r.requestId(), r.version(), r.timestampMillis());
            return true;
        });
    }

    /**
     * The oldest version {@link #truncateBefore truncateBefore(version)} would keep (records below it would go):
     * {@link #oldestVersion()} when nothing would.
     */
    long truncationPoint(long version);

    /** Deletes whole segments all of whose records are older than {@code version}; never the active segment. */
    void truncateBefore(long version) throws IOException;

    @Override
    void close() throws IOException;
}
