package io.weaseldb.commit;

import java.util.Arrays;

/**
 * A FIFO of remembered request ids for {@link RequestIdIndex}: per entry a version, a timestamp, the id's hash
 * and its UTF-8 bytes, all in a few growable rings of primitives instead of an object per entry. The index
 * keeps millions of ids for hours; as objects (entry, map node, String, its bytes) each was copied by young
 * collections and promoted, ≈ 1 µs of GC per commit under load. Here nothing per entry is an object.
 *
 * <p>Entries are addressed by position: a long that grows by one per {@link #add}, valid from
 * {@link #head()} (the oldest) to {@link #tail()} (exclusive). The id bytes live in a ring of fixed-size pages
 * addressed by a byte position that only grows, each id within one page: an id that does not fit in the rest
 * of a page starts the next one (the skipped bytes are freed with the entry). Pages rather than one array:
 * retained ids are bounded by configuration and heap, not by the 2 GiB an array can hold.
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

    /** Page size: ids are at most {@link #MAX_ID_BYTES}, so a skip wastes at most 1/16 of a page. */
    private static final int PAGE_BITS = 16;
    private static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE_SIZE - 1;
    /** The longest id accepted (the request-id limit). */
    static final int MAX_ID_BYTES = CommitLimits.MAX_REQUEST_ID_BYTES;

    /** Page number p lives in pages[p & (pages.length - 1)], allocated when first needed. */
    private byte[][] pages = new byte[1][];
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
        System.arraycopy(id, 0, page(start), (int) (start & PAGE_MASK), id.length);
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
        int from = (int) (idStarts[i] & PAGE_MASK);
        return Arrays.equals(page(idStarts[i]), from, from + id.length, id, 0, id.length);
    }

    /** A copy of the id bytes of the entry at position. */
    byte[] id(long position) {
        int i = (int) (position & (versions.length - 1));
        int from = (int) (idStarts[i] & PAGE_MASK);
        return Arrays.copyOfRange(page(idStarts[i]), from, from + idLengths[i]);
    }

    /** Heap held by the rings and pages, in bytes. */
    long heapBytes() {
        long allocated = 0;
        for (byte[] page : pages) {
            if (page != null) allocated += PAGE_SIZE;
        }
        return (long) versions.length * (8 + 8 + 8 + 4 + 4) + allocated;
    }

    private byte[] page(long position) {
        return pages[(int) ((position >>> PAGE_BITS) & (pages.length - 1))];
    }

    /** Position for n contiguous bytes at the tail, on a page of their own if the current one has no room. */
    private long reserveBytes(int n) {
        if (n > MAX_ID_BYTES) {
            throw new IllegalArgumentException("request id of " + n + " bytes (at most " + MAX_ID_BYTES + ")");
        }
        long start = bytesTail;
        if ((start & PAGE_MASK) + n > PAGE_SIZE) {
            start = (start | PAGE_MASK) + 1;  // an id is never split across pages
        }
        long page = start >>> PAGE_BITS;
        long livePages = page - (bytesHead >>> PAGE_BITS) + 1;
        if (livePages > pages.length) {
            growPages(livePages);
        }
        int slot = (int) (page & (pages.length - 1));
        if (pages[slot] == null) {
            pages[slot] = new byte[PAGE_SIZE];
        }
        bytesTail = start + n;
        return start;
    }

    /** More page slots, so that every live page number keeps its own slot. */
    private void growPages(long needed) {
        int length = pages.length;
        while (length < needed) {
            length *= 2;
        }
        long first = bytesHead >>> PAGE_BITS;
        long end = bytesTail > bytesHead ? ((bytesTail - 1) >>> PAGE_BITS) + 1 : first; // live pages [first, end)
        pages = Rings.regrown(pages, first, end, length);
    }

    private void growEntries() {
        versions = Rings.doubled(versions, head, tail);
        timestamps = Rings.doubled(timestamps, head, tail);
        idStarts = Rings.doubled(idStarts, head, tail);
        idLengths = Rings.doubled(idLengths, head, tail);
        hashes = Rings.doubled(hashes, head, tail);
    }
}
