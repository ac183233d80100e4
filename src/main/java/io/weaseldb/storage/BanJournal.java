package io.weaseldb.storage;

import java.io.IOException;

/**
 * The durable record of request-id bans (a status query bans an id that has not committed, and API.md promises
 * that a banned id never commits), so that bans survive a restart. The local-disk implementation is
 * {@code FileBanJournal}; an object-store one can implement this beside its commit log.
 *
 * <p>Threading: {@link #append} and {@link #sync} are called by one thread (the persist stage); {@link #replay}
 * once at startup, before them.
 */
public interface BanJournal extends AutoCloseable {
    /** One ban: the id, the last version committed when it was made, and when (wall clock, ms). */
    record Ban(String requestId, long version, long timestampMillis) { }

    @FunctionalInterface
    interface Visitor {
        void visit(Ban ban) throws IOException;
    }

    /** Buffers a ban; not durable until {@link #sync}. Bans come in the order they were made. */
    void append(String requestId, long version, long timestampMillis) throws IOException;

    /**
     * Makes every appended ban durable (one fsync when fsync is on), and lets go of bans no restart could need:
     * those made more than the retention hours ago and more than the retention versions before {@code lastVersion}.
     */
    void sync(long lastVersion) throws IOException;

    /** Visits every retained ban in the order made. */
    void replay(Visitor visitor) throws IOException;

    @Override
    void close() throws IOException;
}
