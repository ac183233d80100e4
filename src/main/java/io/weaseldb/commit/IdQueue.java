package io.weaseldb.commit;

import java.util.Arrays;

/**
 * A FIFO of remembered request ids for {@link RequestIdIndex}: per entry a version, a timestamp, the id's hash
 * and its UTF-8 bytes, all in a few growable rings of primitives instead of an object per entry. The index
 * keeps millions of ids for hours; as objects (entry, map node, String, its bytes) each was copied by young
 * collections and promoted, ≈ 1 µs of GC per commit under load. Here nothing per entry is an object.
 *
 * <p>Entries are addressed by position: a long that grows by one per {@link #add}, valid from
 * {@link #head()} (the oldest) to {@link #tail()} (exclusive). The id bytes live in a ring of bytes addressed
 * the same way, each id contiguous: an id that does not fit before the ring's end starts at its beginning
 * (the skipped bytes are freed with the entry).
 *
 * <p>Not thread-safe: owned by the resolve stage's thread.
 */
final class IdQueue {
    private long[] versions = new long[256];
    private long[] timestamps = new long[256];
    private long[] idStarts = new long[256];  // position of the id's first byte in the byte ring
    private int[] idLengths = new int[256];
    private int[] hashes = new int[256];
    private long head;
    private long tail;

    private byte[] bytes = new byte[8192];
    private long bytesHead;  // first byte still in use (the oldest entry's id, or its skipped bytes)
    private long bytesTail;

    long head() {
        return head;
    }

    long tail() {
        return tail;
    }

    int size() {
        return (int) (tail - head);
    }

    /** Appends an entry; returns its position. */
    long add(byte[] id, int hash, long version, long timestampMillis) {
        if (tail - head == versions.length) {
            growEntries();
        }
        long start = reserveBytes(id.length);
        System.arraycopy(id, 0, bytes, (int) (start & (bytes.length - 1)), id.length);
        int i = (int) (tail & (versions.length - 1));
        versions[i] = version;
        timestamps[i] = timestampMillis;
        idStarts[i] = start;
        idLengths[i] = id.length;
        hashes[i] = hash;
        return tail++;
    }

    /** Drops the oldest entry (and the bytes up to its id's end). */
    void removeHead() {
        int i = (int) (head & (versions.length - 1));
        bytesHead = idStarts[i] + idLengths[i];
        head++;
        if (head == tail) {
            bytesHead = bytesTail;  // empty: nothing pins the byte ring, start fresh wherever the tail is
        }
    }

    long version(long position) {
        return versions[(int) (position & (versions.length - 1))];
    }

    long timestamp(long position) {
        return timestamps[(int) (position & (versions.length - 1))];
    }

    int hash(long position) {
        return hashes[(int) (position & (versions.length - 1))];
    }

    /** True if the entry at position holds exactly these id bytes. */
    boolean idEquals(long position, byte[] id) {
        int i = (int) (position & (versions.length - 1));
        if (idLengths[i] != id.length) {
            return false;
        }
        int from = (int) (idStarts[i] & (bytes.length - 1));
        return Arrays.equals(bytes, from, from + id.length, id, 0, id.length);
    }

    /** A copy of the id bytes of the entry at position. */
    byte[] id(long position) {
        int i = (int) (position & (versions.length - 1));
        int from = (int) (idStarts[i] & (bytes.length - 1));
        return Arrays.copyOfRange(bytes, from, from + idLengths[i]);
    }

    /** Heap held by the rings, in bytes (for tests of the bound's estimate). */
    long heapBytes() {
        return (long) versions.length * (8 + 8 + 8 + 4 + 4) + bytes.length;
    }

    /** Position for n contiguous bytes at the byte ring's tail, growing the ring if they do not fit. */
    private long reserveBytes(int n) {
        while (true) {
            int capacity = bytes.length;
            long start = bytesTail;
            int offset = (int) (start & (capacity - 1));
            if (offset + n > capacity) {
                start += capacity - offset;  // skip to the ring's beginning: an id is never split
            }
            if (start + n - bytesHead <= capacity) {
                bytesTail = start + n;
                return start;
            }
            growBytes(n);
        }
    }

    private void growBytes(int atLeast) {
        int capacity = bytes.length;
        long live = bytesTail - bytesHead;
        int grown = capacity * 2;
        while (grown < live + 2L * atLeast) {
            grown *= 2;
        }
        // Every live position keeps its address: an id contiguous at (p mod c) stays contiguous at (p mod 2c).
        byte[] next = new byte[grown];
        for (long p = bytesHead; p < bytesTail; ) {
            int from = (int) (p & (capacity - 1));
            int run = (int) Math.min(bytesTail - p, capacity - from);
            int to = (int) (p & (grown - 1));
            int firstPart = Math.min(run, grown - to);
            System.arraycopy(bytes, from, next, to, firstPart);
            System.arraycopy(bytes, from + firstPart, next, 0, run - firstPart);
            p += run;
        }
        bytes = next;
    }

    private void growEntries() {
        int capacity = versions.length;
        int grown = capacity * 2;
        long[] v = new long[grown];
        long[] t = new long[grown];
        long[] s = new long[grown];
        int[] l = new int[grown];
        int[] h = new int[grown];
        for (long p = head; p < tail; p++) {
            int from = (int) (p & (capacity - 1));
            int to = (int) (p & (grown - 1));
            v[to] = versions[from];
            t[to] = timestamps[from];
            s[to] = idStarts[from];
            l[to] = idLengths[from];
            h[to] = hashes[from];
        }
        versions = v;
        timestamps = t;
        idStarts = s;
        idLengths = l;
        hashes = h;
    }
}
