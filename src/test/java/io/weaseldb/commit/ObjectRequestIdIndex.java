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

    ObjectRequestIdIndex(long retentionMillis, long retentionVersions, long maxEntries, long lastVersion,
                          long forgottenUpToVersion, LongSupplier clockMillis) {
        this.retentionMillis = retentionMillis;
        this.retentionVersions = retentionVersions;
        this.maxEntries = maxEntries;
        this.lastVersion = lastVersion;
        this.forgottenUpToVersion = forgottenUpToVersion;
        this.clockMillis = Objects.requireNonNull(clockMillis, "clockMillis");
    }

    public long committedVersion(String id) {
        Entry e = byId.get(id);
        return e == null || e.ban ? NOT_COMMITTED : e.version;
    }

    public boolean isBanned(String id) {
        Entry e = byId.get(id);
        return e != null && e.ban;
    }

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

    private int entries() {
        return commits.size() + bans.size();
    }

    private void countEarly() {
        forgottenEarly++;
    }

    public long forgottenUpToVersion() {
        return forgottenUpToVersion;
    }

    public long forgottenEarly() {
        return forgottenEarly;
    }

    public int size() {
        return byId.size();
    }

    private long monotonic(long millis) {
        if (millis < lastTimestamp) {
            millis = lastTimestamp;
        }
        lastTimestamp = millis;
        return millis;
    }
}
