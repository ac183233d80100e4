package io.weaseldb.commit;

import io.weaseldb.commit.KeyVersionTree.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The recent writes optimistic preconditions are checked against: for every committed version in a bounded
 * window {@code (oldestCheckableVersion(), lastVersion()]}, which keys and ranges it touched. A read at
 * version v can be checked only if every commit in {@code (v, lastVersion()]} is retained, i.e. when
 * {@code v >= oldestCheckableVersion()}.
 *
 * <p>Structures: single-key writes and deletes live in a {@link PointVersionTree} (key → last version);
 * range deletes in another as disjoint intervals (a newer delete trims the older intervals it overlaps,
 * which loses nothing as versions only grow). Both trees keep subtree maxima, so with n retained entries:
 * <ul>
 *   <li>point read: O(log n) — the key's entry, plus the one interval that can cover it;</li>
 *   <li>range read: O(log n) — any entry starting in [begin, end), plus the interval covering begin;</li>
 *   <li>record: O(log n) per key, amortised O(log n) per range delete (each trimmed interval is removed once);</li>
 *   <li>eviction: O(log n) per evicted key or interval, in commit order.</li>
 * </ul>
 * Values are never retained; keys longer than 24 bytes are shared with the committed request (which must not be
 * modified), shorter ones are held as words in the point tree's arrays.
 *
 * <p>The window holds at most {@code maxVersions} versions and about {@code maxBytes} of memory
 * (an estimate: key bytes plus a fixed per-entry overhead); the oldest versions are evicted first.
 * Not thread-safe: owned by the resolve stage's single thread.
 */
public final class ConflictHistory {
    public static final long DEFAULT_MAX_VERSIONS = 100_000;
    public static final long DEFAULT_MAX_BYTES = 256L << 20;
    /**
     * Estimated heap cost of a retained single-key entry beyond its key bytes: 64 bytes of tree arrays and FIFO
     * slot, doubled as the arrays grow by doubling (a key of up to 24 bytes costs nothing more, but is counted).
     */
    static final int POINT_OVERHEAD = 128;
    /** Estimated heap cost of a retained range delete beyond its bound bytes (node, pieces, headers). */
    static final int RANGE_OVERHEAD = 160;
    /** Estimated heap cost of one retained version (its slots in the two FIFO-end rings). */
    static final int VERSION_OVERHEAD = 16;
    private static final int[] NO_CONFLICTS = new int[0];

    private final long maxVersions;
    private final long maxBytes;
    private final PointVersionTree points = new PointVersionTree();
    private final KeyVersionTree ranges = new KeyVersionTree();
    private final ArrayList<Node> scratch = new ArrayList<>();

    private long lastVersion;
    private long oldestCheckable;
    private long bytes;

    // FIFOs of what each retained version inserted, in commit order: the point tree's nodes, and range
    // deletes' head Nodes. Eviction by node needs no key, so a short key is not retained at all.
    private int[] pointItems = new int[1024];
    private long pointHead;
    private long pointTail;
    private Object[] rangeItems = new Object[64];
    private long rangeHead;
    private long rangeTail;
    // For v in (oldestCheckable, lastVersion]: the FIFOs' tails right after version v was recorded.
    private long[] pointEnds = new long[1024];
    private long[] rangeEnds = new long[1024];

    /**
     * @param lastVersion the version already committed before the first one {@link #record}ed here; reads
     *                    at it or later are checkable until eviction
     * @param maxVersions versions retained at most (≥ 0)
     * @param maxBytes    estimated memory retained at most (≥ 0)
     */
    public ConflictHistory(long lastVersion, long maxVersions, long maxBytes) {
        if (lastVersion < 0 || maxVersions < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("negative lastVersion/maxVersions/maxBytes: " + lastVersion + "/" + maxVersions + "/" + maxBytes);
        }
        this.lastVersion = lastVersion;
        this.oldestCheckable = lastVersion;
        this.maxVersions = maxVersions;
        this.maxBytes = maxBytes;
    }

    public long lastVersion() {
        return lastVersion;
    }

    /** The oldest read version preconditions may use: every commit after it is retained. */
    public long oldestCheckableVersion() {
        return oldestCheckable;
    }

    public long retainedVersions() {
        return lastVersion - oldestCheckable;
    }

    /** Estimated memory held, in bytes. */
    public long retainedBytes() {
        return bytes;
    }

    /**
     * Records the keys a committed transaction touched. Versions must arrive gap-free, in order
     * ({@code version == lastVersion() + 1}). Evicts the oldest versions beyond the bounds.
     */
    public void record(long version, List<Operation> operations) {
        if (version != lastVersion + 1) {
            throw new IllegalArgumentException("version " + version + " recorded after " + lastVersion + " (must be gap-free)");
        }
        for (int i = 0, n = operations.size(); i < n; i++) {
            Operation op = operations.get(i);
            if (op.type() == Operation.Type.RANGE_DELETE) {
                if (Arrays.compareUnsigned(op.begin(), op.end()) < 0) {  // an empty range touches nothing
                    Node head = insertRangeDelete(op.begin(), op.end(), version);
                    head.accountedBytes = op.begin().length + op.end().length + RANGE_OVERHEAD;
                    bytes += head.accountedBytes;
                    pushRange(head);
                }
            } else {
                pushPoint(points.putNewest(op.key(), version));
                bytes += op.key().length + POINT_OVERHEAD;
            }
        }
        if (version - oldestCheckable >= pointEnds.length) {
            pointEnds = Rings.doubled(pointEnds, oldestCheckable + 1, version);
            rangeEnds = Rings.doubled(rangeEnds, oldestCheckable + 1, version);
        }
        int slot = (int) (version & (pointEnds.length - 1));
        pointEnds[slot] = pointTail;
        rangeEnds[slot] = rangeTail;
        bytes += VERSION_OVERHEAD;
        lastVersion = version;
        while (oldestCheckable < lastVersion && (lastVersion - oldestCheckable > maxVersions || bytes > maxBytes)) {
            evictOldest();
        }
    }

    /**
     * Indexes (ascending) of the request's failed preconditions; an empty array when all hold. Versions must
     * be checkable: {@code oldestCheckableVersion() <= v <= lastVersion()} (the {@link Resolver} ensures it).
     */
    public int[] check(CommitRequest request) {
        List<Precondition> preconditions = request.preconditions();
        int[] failed = null;
        int count = 0;
        for (int i = 0, n = preconditions.size(); i < n; i++) {
            Precondition p = preconditions.get(i);
            long v = request.effectiveVersion(i);
            boolean conflict = p.type() == Precondition.Type.POINT_READ
                    ? pointReadConflicts(p.key(), v)
                    : rangeReadConflicts(p.begin(), p.end(), v);
            if (conflict) {
                if (failed == null) {
                    failed = new int[n - i];
                }
                failed[count++] = i;
            }
        }
        return failed == null ? NO_CONFLICTS : count == failed.length ? failed : Arrays.copyOf(failed, count);
    }

    /** True if a commit after version v wrote, deleted or range-deleted {@code key}. */
    public boolean pointReadConflicts(byte[] key, long v) {
        checkable(v);
        if (v >= lastVersion) {
            return false;
        }
        if (points.containsAbove(key, v)) {
            return true;
        }
        Node r = ranges.floor(key);
        return r != null && r.version > v && Arrays.compareUnsigned(r.end, key) > 0;
    }

    /** True if a commit after version v touched any key in [begin, end); an empty range never conflicts. */
    public boolean rangeReadConflicts(byte[] begin, byte[] end, long v) {
        checkable(v);
        if (v >= lastVersion || Arrays.compareUnsigned(begin, end) >= 0) {
            return false;
        }
        if (points.anyAbove(begin, end, v) || ranges.anyAbove(begin, end, v)) {
            return true;
        }
        Node r = ranges.lower(begin);  // the one interval that can start before begin and reach into the range
        return r != null && r.version > v && Arrays.compareUnsigned(r.end, begin) > 0;
    }

    /** Tree entries held (single keys plus range pieces): for tests of eviction. */
    int entryCount() {
        return points.size() + ranges.size();
    }

    private void checkable(long v) {
        if (v < oldestCheckable) {
            throw new IllegalArgumentException("read version " + v + " is older than the history (" + oldestCheckable + ")");
        }
    }

    /** Inserts [begin, end) at version, trimming the older intervals it overlaps; returns its node. */
    private Node insertRangeDelete(byte[] begin, byte[] end, long version) {
        Node left = ranges.lower(begin);
        if (left != null && Arrays.compareUnsigned(left.end, begin) > 0) {
            if (Arrays.compareUnsigned(left.end, end) > 0) {
                addPiece(left, end, left.end);  // the new range falls strictly inside left: keep left's tail
            }
            left.end = begin;
        }
        scratch.clear();
        ranges.collect(begin, end, scratch);
        for (int i = 0, n = scratch.size(); i < n; i++) {
            Node covered = scratch.get(i);
            ranges.remove(covered.start);
            covered.removed = true;
            if (Arrays.compareUnsigned(covered.end, end) > 0) {
                addPiece(covered, end, covered.end);  // only the last one can reach past end
            }
        }
        scratch.clear();
        Node node = ranges.newNode(begin, end, version);
        ranges.insert(node);
        return node;
    }

    /** Keeps [start, end) of an older interval as a new node, chained so eviction finds it with its origin. */
    private void addPiece(Node origin, byte[] start, byte[] end) {
        Node piece = ranges.newNode(start, end, origin.version);
        piece.nextPiece = origin.nextPiece;
        origin.nextPiece = piece;
        ranges.insert(piece);
    }

    private void evictOldest() {
        long version = oldestCheckable + 1;
        int slot = (int) (version & (pointEnds.length - 1));
        long pointEnd = pointEnds[slot];
        int mask = pointItems.length - 1;
        while (pointHead < pointEnd) {
            int node = pointItems[(int) (pointHead++ & mask)];
            bytes -= points.keyLength(node) + POINT_OVERHEAD;
            points.evict(node, version);  // unless rewritten later: that entry stays
        }
        long rangeEnd = rangeEnds[slot];
        mask = rangeItems.length - 1;
        while (rangeHead < rangeEnd) {
            int at = (int) (rangeHead++ & mask);
            Node head = (Node) rangeItems[at];
            rangeItems[at] = null;
            for (Node piece = head; piece != null; piece = piece.nextPiece) {
                if (!piece.removed) {
                    ranges.remove(piece.start);
                    piece.removed = true;
                }
            }
            bytes -= head.accountedBytes;
        }
        bytes -= VERSION_OVERHEAD;
        oldestCheckable = version;
    }

    private void pushPoint(int node) {
        if (pointTail - pointHead == pointItems.length) {
            pointItems = Rings.doubled(pointItems, pointHead, pointTail);
        }
        pointItems[(int) (pointTail++ & (pointItems.length - 1))] = node;
    }

    private void pushRange(Node head) {
        if (rangeTail - rangeHead == rangeItems.length) {
            rangeItems = Rings.doubled(rangeItems, rangeHead, rangeTail);
        }
        rangeItems[(int) (rangeTail++ & (rangeItems.length - 1))] = head;
    }

}
