package io.weaseldb.storage;

import java.util.Arrays;

/**
 * Byte offsets of every {@code interval}-th record of one segment, so a reader can start near any version
 * instead of scanning the segment from its header. Entry k is the offset of version
 * {@code firstVersion + k * interval}; lookup is arithmetic, no search.
 *
 * <p>Memory is bounded by the segment size: at most {@code segmentBytes / (32 * interval) + 1} longs.
 *
 * <p>Single writer (the appending thread or recovery), many readers: the writer stores the entry, then
 * publishes the (possibly grown) array, then the count, both volatile; a reader reads the count first, so
 * the array it reads next holds at least that many entries. Entries never change once written.
 */
final class SparseIndex {
    private final long firstVersion;
    private final int interval;
    private volatile long[] offsets = new long[4];
    private volatile int count;

    SparseIndex(long firstVersion, int interval) {
        this.firstVersion = firstVersion;
        this.interval = interval;
    }

    /** Called for every record in order; keeps one offset per {@code interval} versions. */
    void recordAppended(long version, long offset) {
        long index = version - firstVersion;
        if (index % interval != 0) return;
        int c = count;
        if (index / interval != c) throw new IllegalStateException("index out of order at version " + version);
        long[] a = offsets;
        if (c == a.length) a = Arrays.copyOf(a, c * 2);
        a[c] = offset;
        offsets = a;
        count = c + 1;
    }

    /** The greatest indexed version ≤ {@code version} and its offset as {@code [version, offset]}, or null if none. */
    long[] floor(long version) {
        if (version < firstVersion) return null;
        int c = count;
        if (c == 0) return null;
        long[] a = offsets;
        int k = (int) Math.min((version - firstVersion) / interval, c - 1);
        return new long[] { firstVersion + (long) k * interval, a[k] };
    }
}
