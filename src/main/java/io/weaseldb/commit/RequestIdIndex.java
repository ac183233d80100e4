package io.weaseldb.commit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Which request ids committed (for retries and status queries) and which are banned (by status queries).
 *
 * <p>Retention: an entry is forgotten only once BOTH {@code retentionMillis} have passed since it was
 * recorded AND more than {@code retentionVersions} versions were committed after it. Entries are recorded
 * with non-decreasing version and time, so they expire in recording order and eviction is a FIFO pop:
 * memory is what was recorded in the last {@code retentionMillis} (and at least the last
 * {@code retentionVersions} versions' worth).
 *
 * <p>Bans follow the same rule, counted from the ban (a ban matters only for commits resolved after it,
 * and a retry arriving after the ban is forgotten is no different from a retry arriving after the id's
 * commit would have been forgotten). Here they are in memory; the commit pipeline journals each one before its
 * status answer ({@code storage.BanJournal}) and recovery hands them back ({@link #restoreBan}).
 *
 * <p>Memory bound: the time rule can hold without limit (24 h of a busy server's ids is far more than a heap),
 * so beyond {@code maxEntries} the oldest entries are forgotten as soon as the versions rule allows, before
 * their time is up (counted in {@link #forgottenEarly()}). That is what a restart does anyway (it reloads
 * only the ids still in the log, which keeps at least the retained versions); here it happens instead of an
 * OutOfMemoryError. The versions rule is never shortened.
 *
 * <p>Status of an unknown id: {@code NOT_COMMITTED} while the index still covers every commit since
 * version 1 (nothing was ever forgotten, nor truncated from the log before it was loaded), otherwise
 * {@code LOG_TRUNCATED}: it may have committed before what is remembered.
 *
 * <p>Not thread-safe: owned by the resolve stage's single thread.
 */
public final class RequestIdIndex {
    /** Returned by {@link #committedVersion} for an id not known to have committed. */
    public static final long NOT_COMMITTED = -1;

    /**
     * Estimated heap per remembered id, for sizing: its queue slots and a ~36-byte id, each up to twice over as
     * the rings grow by doubling, and its hash table slot at a load between a quarter and a half.
     */
    public static final int ENTRY_BYTES = 170;

    private final long retentionMillis;
    private final long retentionVersions;
    private final long maxEntries;
    private long forgottenEarly;
    private final LongSupplier clockMillis;
    private final IdQueue commits = new IdQueue();  // in version order
    private final IdQueue bans = new IdQueue();     // in the order they were made
    /**
     * Id → its newest entry: open addressing with linear probing over the ids' hashes; a slot is 0 (empty)
     * or 1 + (position << 1 | 1 for a ban). A renewed ban takes over its id's slot; the older entry stays
     * queued until eviction finds its handle no longer in the table.
     */
    private long[] table = new long[1024];
    private int tableSize;
    /** Bumped by every change to the table, so that a remembered lookup ({@link #find}) knows it is stale. */
    private int tableChanges;
    /** Per process, so ids that collide cannot be computed ahead (clients choose them). */
    private final long hashSeed = new SplittableRandom().nextLong();
    private long lastVersion;
    private long lastTimestamp = Long.MIN_VALUE;
    private long forgottenUpToVersion;

    /**
     * @param retentionMillis      minimum time an entry is kept
     * @param retentionVersions    minimum number of later versions an entry is kept for
     * @param lastVersion          the last version committed before the first one recorded here
     * @param forgottenUpToVersion the newest version whose commit may be missing here, e.g. the newest truncated from
     *                             the log before recovery (ids archived from it are recorded, the rest are not); 0 when
     *                             the index will hold every commit from version 1
     * @param clockMillis          wall clock, in milliseconds
     */
    public RequestIdIndex(long retentionMillis, long retentionVersions, long lastVersion, long forgottenUpToVersion,
                          LongSupplier clockMillis) {
        this(retentionMillis, retentionVersions, Long.MAX_VALUE, lastVersion, forgottenUpToVersion, clockMillis);
    }

    /**
     * @param maxEntries entries kept at most where the time rule alone would keep more (see the class comment)
     */
    public RequestIdIndex(long retentionMillis, long retentionVersions, long maxEntries, long lastVersion,
                          long forgottenUpToVersion, LongSupplier clockMillis) {
        if (retentionMillis < 0 || retentionVersions < 0 || maxEntries < 0 || lastVersion < 0 || forgottenUpToVersion < 0) {
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
        key(id);
        int slot = find(keyBytes, keyHash);
        if (slot < 0 || isBan(table[slot])) {
            return NOT_COMMITTED;
        }
        return commits.version(position(table[slot]));
    }

    public boolean isBanned(String id) {
        key(id);
        int slot = find(keyBytes, keyHash);
        return slot >= 0 && isBan(table[slot]);
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
        key(id);
        byte[] bytes = keyBytes;
        int hash = keyHash;
        long position = commits.add(bytes, hash, version, monotonic(timestampMillis));
        put(bytes, hash, slotValue(position, false));
        evictExpired();
    }

    /** Recovery: commits up to {@code version} may be missing here (truncated from the log, not archived). */
    public void forgotUpTo(long version) {
        if (version > forgottenUpToVersion) forgottenUpToVersion = version;
    }

    /** Recovery: versions up to {@code version} committed, and those not recorded by now are not remembered. */
    public void skipTo(long version) {
        if (version > lastVersion) lastVersion = version;
    }

    /**
     * Answers a status query and, unless the id committed, bans it: no commit resolved from now on may use it.
     * A repeated query renews the ban.
     */
    public RequestStatus queryAndBan(String id) {
        if (noCommitCanCarry(id)) {
            // No commit can carry an id this long (CommitRequest refuses it): definitively not committed,
            // and nothing to ban or to remember.
            return RequestStatus.NOT_COMMITTED;
        }
        key(id);
        byte[] bytes = keyBytes;
        int hash = keyHash;
        int slot = find(bytes, hash);
        if (slot >= 0 && !isBan(table[slot])) {
            return RequestStatus.committed(commits.version(position(table[slot])));
        }
        evictExpired();
        long position = bans.add(bytes, hash, lastVersion, monotonic(clockMillis.getAsLong()));
        put(bytes, hash, slotValue(position, true));
        evictExpired(); // a flood of status queries must stay within the bound too
        return forgottenUpToVersion > 0 ? RequestStatus.LOG_TRUNCATED : RequestStatus.NOT_COMMITTED;
    }

    /**
     * Recovery: a ban made before the restart (read from the ban journal, in the order made, after the log's
     * commits). Ignored for an id that committed: the commit came first, or after the ban had expired. The retention
     * rules and the memory bound apply as to any ban.
     */
    public void restoreBan(String id, long version, long timestampMillis) {
        if (noCommitCanCarry(id)) return;
        key(id);
        byte[] bytes = keyBytes;
        int hash = keyHash;
        int slot = find(bytes, hash);
        if (slot >= 0 && !isBan(table[slot])) return;
        long position = bans.add(bytes, hash, Math.min(version, lastVersion), monotonic(timestampMillis));
        put(bytes, hash, slotValue(position, true));
        evictExpired();
    }

    /** Longer than the request-id limit (CommitRequest refuses it). */
    private static boolean noCommitCanCarry(String id) {
        // UTF-8 takes at least as many bytes as UTF-16 chars: the length alone settles most.
        return id.length() > CommitLimits.MAX_REQUEST_ID_BYTES
            || io.weaseldb.storage.Utf8.encodedLength(id) > CommitLimits.MAX_REQUEST_ID_BYTES;
    }

    /**
     * Forgets what both retention rules allow, and what the memory bound requires; also done on every record and
     * query. Over the bound, bans go first, even within the versions rule: status queries for random ids, which
     * make no versions, could otherwise grow the index without limit (the bound is where a ban stops being a
     * guarantee; it is documented). Commits are never forgotten within the versions rule.
     */
    public void evictExpired() {
        long now = clockMillis.getAsLong();
        while (bans.size() > 0) {
            long head = bans.head();
            boolean expired = now - bans.timestamp(head) >= retentionMillis && lastVersion - bans.version(head) > retentionVersions;
            if (!expired) {
                if (entries() <= maxEntries) break;
                countEarly();
            }
            forget(bans, head, true); // unless a renewed ban superseded it
            bans.removeHead();
        }
        while (commits.size() > 0 && lastVersion - commits.version(commits.head()) > retentionVersions) {
            long head = commits.head();
            if (now - commits.timestamp(head) < retentionMillis) {
                if (entries() <= maxEntries) break;
                countEarly();
            }
            forget(commits, head, false);
            long version = commits.version(head);
            commits.removeHead();
            if (version > forgottenUpToVersion) forgottenUpToVersion = version;
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
        return tableSize;
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

    // ---- the hash table ----

    private static long slotValue(long position, boolean ban) {
        return 1 + (position << 1 | (ban ? 1 : 0));
    }

    private static boolean isBan(long slotValue) {
        return ((slotValue - 1) & 1) != 0;
    }

    private static long position(long slotValue) {
        return (slotValue - 1) >>> 1;
    }

    private int hashOf(long slotValue) {
        return (isBan(slotValue) ? bans : commits).hash(position(slotValue));
    }

    // The last lookup: a commit looks its id up (committed?) and then records it, with no change to the table
    // in between, so the insert reuses the lookup's slot instead of probing again (each probe of a large table
    // is a cache miss, and so is each passed id's queue entry).
    private byte[] foundId;
    private int foundSlot;
    private int foundAtChange;

    /** The slot holding id, or {@code -(empty slot where it would go) - 1}. */
    private int find(byte[] id, int hash) {
        if (id == foundId && foundAtChange == tableChanges) {
            return foundSlot;
        }
        int mask = table.length - 1;
        int i = hash & mask;
        while (true) {
            long value = table[i];
            if (value == 0) {
                i = -i - 1;
                break;
            }
            IdQueue queue = isBan(value) ? bans : commits;
            long position = position(value);
            if (queue.hash(position) == hash && queue.idEquals(position, id)) {
                break;
            }
            i = (i + 1) & mask;
        }
        foundId = id;
        foundSlot = i;
        foundAtChange = tableChanges;
        return i;
    }

    /** Points id's slot at a new entry (its previous one, if any, is superseded). */
    private void put(byte[] id, int hash, long value) {
        int slot = find(id, hash);
        tableChanges++;
        if (slot >= 0) {
            table[slot] = value;
            return;
        }
        table[-slot - 1] = value;
        if (++tableSize > table.length / 2) {
            rehash(table.length * 2);
        }
    }

    /** Removes the queue entry's slot, if the table still points at that entry. */
    private void forget(IdQueue queue, long position, boolean ban) {
        long value = slotValue(position, ban);
        int mask = table.length - 1;
        for (int i = queue.hash(position) & mask; table[i] != 0; i = (i + 1) & mask) {
            if (table[i] == value) {
                deleteSlot(i);
                return;
            }
        }
    }

    /**
     * Empties slot i and shifts later entries of its probe run back (no tombstones, so lookups of absent ids
     * stop at the first gap however many ids came and went): an entry moves into the hole when the hole lies
     * between its home slot and where it sits.
     */
    private void deleteSlot(int i) {
        tableChanges++;
        int mask = table.length - 1;
        int hole = i;
        for (int j = (i + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
            int home = hashOf(table[j]) & mask;
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                table[hole] = table[j];
                hole = j;
            }
        }
        table[hole] = 0;
        if (--tableSize < table.length / 8 && table.length > 1024) {
            rehash(table.length / 2);  // give back what a burst took
        }
    }

    private void rehash(int capacity) {
        tableChanges++;
        long[] old = table;
        table = new long[capacity];
        int mask = capacity - 1;
        for (long value : old) {
            if (value != 0) {
                int i = hashOf(value) & mask;
                while (table[i] != 0) {
                    i = (i + 1) & mask;
                }
                table[i] = value;
            }
        }
    }

    // The last id looked up, encoded and hashed: a resolve asks about the same id up to three times in a row
    // (committed? banned? record it), and encoding and hashing it again each time is wasted work.
    private String keyId;
    private byte[] keyBytes;
    private int keyHash;

    private void key(String id) {
        if (id != keyId) {
            keyBytes = id.getBytes(StandardCharsets.UTF_8);
            keyHash = hash(keyBytes);
            keyId = id;
        }
    }

    /** A seeded hash of the id's bytes, mixed 8 bytes at a time (ids are short: ~20-40 bytes). */
    private int hash(byte[] id) {
        long h = hashSeed ^ id.length;
        int i = 0;
        for (; i + 8 <= id.length; i += 8) {
            h = mix(h ^ (long) LONGS.get(id, i));
        }
        long last = 0;
        for (; i < id.length; i++) {
            last = last << 8 | (id[i] & 0xFF);
        }
        h = mix(h ^ last);
        return (int) (h ^ (h >>> 32));
    }

    private static long mix(long x) {
        x = (x ^ (x >>> 32)) * 0xD6E8FEB86659FD93L;
        x = (x ^ (x >>> 32)) * 0xD6E8FEB86659FD93L;
        return x ^ (x >>> 32);
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
}
