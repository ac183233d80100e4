package io.weaseldb.commit;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The request-id index as it was before its entries moved into primitive rings ({@link IdQueue}): a HashMap
 * and two ArrayDeques of entry objects, easy to read and to trust. {@code RequestIdIndexTest} checks the
 * real index against it on random operation sequences.
 */
final class ObjectRequestIdIndex {
    /** Returned by {@link #committedVersion} for an id not known to have committed. */
    public static final long NOT_COMMITTED = -1;

    private static final class Entry {
        final String id;
        final long version;       // its commit version; for a ban, the last version committed before it
        final long timestampMillis;
        final boolean ban;

        Entry(String id, long version, long timestampMillis, boolean ban) {
            this.id = id;
            this.version = version;
            this.timestampMillis = timestampMillis;
            this.ban = ban;
        }
    }

    /** Estimated heap per remembered id (entry, map node, table slot, a ~36-character String): for sizing. */
    public static final int ENTRY_BYTES = 170;

    private final long retentionMillis;
    private final long retentionVersions;
    private final long maxEntries;
    private long forgottenEarly;
    private final LongSupplier clockMillis;
    private final HashMap<String, Entry> byId = new HashMap<>();
    private final ArrayDeque<Entry> commits = new ArrayDeque<>(); // in version order
    private final ArrayDeque<Entry> bans = new ArrayDeque<>();    // bans, in the order they were made
    private long lastVersion;
    private long lastTimestamp = Long.MIN_VALUE;
    private long forgottenUpToVersion;

    /**
     * @param retentionMillis      minimum time an entry is kept
     * @param retentionVersions    minimum number of later versions an entry is kept for
     * @param lastVersion          the last version committed before the first one recorded here
     * @param forgottenUpToVersion commits up to this version are not (and will not be) recorded here, e.g.
     *                             those truncated from the log before recovery; 0 when the index starts at version 1
     * @param clockMillis          wall clock, in milliseconds
     */
    ObjectRequestIdIndex(long retentionMillis, long retentionVersions, long lastVersion, long forgottenUpToVersion,
                          LongSupplier clockMillis) {
        this(retentionMillis, retentionVersions, Long.MAX_VALUE, lastVersion, forgottenUpToVersion, clockMillis);
    }

    /**
     * @param maxEntries entries kept at most where the time rule alone would keep more (see the class comment)
     */
    ObjectRequestIdIndex(long retentionMillis, long retentionVersions, long maxEntries, long lastVersion,
                          long forgottenUpToVersion, LongSupplier clockMillis) {
        if (retentionMillis < 0 || retentionVersions < 0 || maxEntries < 0 || lastVersion < 0 || forgottenUpToVersion < 0
                || forgottenUpToVersion > lastVersion) {
            throw new IllegalArgumentException("retention " + retentionMillis + " ms / " + retentionVersions
                    + " versions, maxEntries " + maxEntries + ", lastVersion " + lastVersion + ", forgottenUpTo " + forgottenUpToVersion);
        }
        this.retentionMillis = retentionMillis;
        this.retentionVersions = retentionVersions;
        this.maxEntries = maxEntries;
        this.lastVersion = lastVersion;
        this.forgottenUpToVersion = forgottenUpToVersion;
        this.clockMillis = Objects.requireNonNull(clockMillis, "clockMillis");
    }

    /** The commit version of {@code id}, or {@link #NOT_COMMITTED}. */
    public long committedVersion(String id) {
        Entry e = byId.get(id);
        return e == null || e.ban ? NOT_COMMITTED : e.version;
    }

    public boolean isBanned(String id) {
        Entry e = byId.get(id);
        return e != null && e.ban;
    }

    /**
     * Records a commit ({@code version > lastVersion()}, gap-free in normal operation; during recovery the
     * log's records). Its timestamp is raised to the previous entry's if the clock went backwards.
     */
    public void recordCommit(String id, long version, long timestampMillis) {
        if (version <= lastVersion) {
            throw new IllegalArgumentException("version " + version + " recorded after " + lastVersion);
        }
        lastVersion = version;
        Entry e = new Entry(id, version, monotonic(timestampMillis), false);
        byId.put(id, e);
        commits.addLast(e);
        evictExpired();
    }

    /**
     * Answers a status query and, unless the id committed, bans it: no commit resolved from now on may use it.
     * A repeated query renews the ban.
     */
    public RequestStatus queryAndBan(String id) {
        Entry e = byId.get(id);
        if (e != null && !e.ban) {
            return RequestStatus.committed(e.version);
        }
        evictExpired();
        Entry ban = new Entry(id, lastVersion, monotonic(clockMillis.getAsLong()), true);
        byId.put(id, ban);
        bans.addLast(ban);
        evictExpired(); // a flood of status queries must stay within the bound too
        return forgottenUpToVersion > 0 ? RequestStatus.LOG_TRUNCATED : RequestStatus.NOT_COMMITTED;
    }

    /**
     * Forgets what both retention rules allow, and what the memory bound requires; also done on every record and
     * query. Over the bound, bans go first, even within the versions rule: they are best effort already (they do
     * not survive a restart), and otherwise status queries for random ids, which make no versions, could grow the
     * index without limit. Commits are never forgotten within the versions rule.
     */
    public void evictExpired() {
        long now = clockMillis.getAsLong();
        Entry head;
        while ((head = bans.peekFirst()) != null) {
            boolean expired = now - head.timestampMillis >= retentionMillis && lastVersion - head.version > retentionVersions;
            if (!expired) {
                if (entries() <= maxEntries) break;
                countEarly();
            }
            bans.pollFirst();
            if (byId.get(head.id) == head) byId.remove(head.id); // not superseded by a renewed ban
        }
        while ((head = commits.peekFirst()) != null && lastVersion - head.version > retentionVersions) {
            if (now - head.timestampMillis < retentionMillis) {
                if (entries() <= maxEntries) break;
                countEarly();
            }
            commits.pollFirst();
            if (byId.get(head.id) == head) byId.remove(head.id);
            if (head.version > forgottenUpToVersion) forgottenUpToVersion = head.version;
        }
    }

    /** Entries held (a renewed ban's older entry counts until it leaves the queue). */
    private int entries() {
        return commits.size() + bans.size();
    }

    private void countEarly() {
        if (forgottenEarly++ == 0) {
            System.err.println("weaseldb: WARNING: more than " + maxEntries + " request ids to remember (a quarter"
                + " of the heap): the oldest are now forgotten before request_id_retention_hours (commits still after"
                + " request_id_retention_versions); status answers log_truncated for them, as after a restart."
                + " Lower request_id_retention_hours or give the heap more room (weaseldb_commit_request_ids_forgotten_early_total)");
        }
    }

    public long lastVersion() {
        return lastVersion;
    }

    /** 0 while every commit since version 1 is remembered; else the newest version whose id may be forgotten. */
    public long forgottenUpToVersion() {
        return forgottenUpToVersion;
    }

    /** Entries forgotten before their retention time because of the memory bound. */
    public long forgottenEarly() {
        return forgottenEarly;
    }

    /** Ids currently remembered (committed or banned). */
    public int size() {
        return byId.size();
    }

    /** The time to stamp a new commit with: the clock, never earlier than the previous entry. */
    long now() {
        return monotonic(clockMillis.getAsLong());
    }

    private long monotonic(long millis) {
        if (millis < lastTimestamp) {
            millis = lastTimestamp;
        }
        lastTimestamp = millis;
        return millis;
    }
}
