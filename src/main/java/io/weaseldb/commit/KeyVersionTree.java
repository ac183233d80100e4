package io.weaseldb.commit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An ordered map from key (unsigned lexicographic bytes) to the version that last touched it, augmented
 * with the maximum version of each subtree so that "did anything with a start in [lo, hi) change after
 * version v?" is answered in O(log n) however many keys the range holds. A treap: random priorities keep
 * it balanced in expectation whatever order keys arrive in. Nodes may carry an {@code end} (then they stand
 * for the range {@code [start, end)}); the tree itself only orders and aggregates by start. The conflict
 * history keeps its range deletes here; its single-key writes are in the array-based {@link PointVersionTree},
 * which orders keys by this class's {@link #word}s.
 *
 * <p>Not thread-safe: owned by the resolve stage's single thread.
 */
final class KeyVersionTree {
    static final class Node {
        final byte[] start;
        // The first 24 bytes of start as big-endian words (zero-padded): comparisons against keys of up to 24
        // bytes, and against longer ones that differ early, never load the array, which lies elsewhere in
        // the heap (one more cache miss per level of a tree far larger than the cache).
        final long w0;
        final long w1;
        final long w2;
        byte[] end;           // exclusive end of a range node; null for a single key
        long version;
        long max;             // max version in this subtree
        final int priority;
        Node left;
        Node right;
        Node nextPiece;       // further pieces of the same range delete, after a newer one split it
        boolean removed;      // no longer in the tree (pieces are evicted by reference)
        int accountedBytes;   // memory charged for this node's range delete (head piece only)

        Node(byte[] start, byte[] end, long version, int priority) {
            this.start = start;
            this.w0 = word(start, 0);
            this.w1 = word(start, 8);
            this.w2 = word(start, 16);
            this.end = end;
            this.version = version;
            this.max = version;
            this.priority = priority;
        }
    }

    private final SplittableRandom random = new SplittableRandom(System.nanoTime());
    private Node root;
    private int size;

    int size() {
        return size;
    }

    Node newNode(byte[] start, byte[] end, long version) {
        return new Node(start, end, version, random.nextInt());
    }

    /** The node with the greatest start ≤ key, or null. */
    Node floor(byte[] key) {
        Probe p = probe.of(key);
        Node n = root;
        Node best = null;
        while (n != null) {
            int c = compare(p, n);
            if (c == 0) {
                return n;
            }
            if (c > 0) {
                best = n;
                n = n.right;
            } else {
                n = n.left;
            }
        }
        return best;
    }

    /** The node with the greatest start strictly below key, or null. */
    Node lower(byte[] key) {
        Probe p = probe.of(key);
        Node n = root;
        Node best = null;
        while (n != null) {
            if (compare(p, n) > 0) {
                best = n;
                n = n.right;
            } else {
                n = n.left;
            }
        }
        return best;
    }

    /** Inserts a node whose start is not in the tree. */
    void insert(Node node) {
        Node r = insert(root, node);
        if (r != root) root = r;
        size++;
    }

    /** Removes the node with this start; returns it, or null when absent. */
    Node remove(byte[] key) {
        removedNode = null;
        Node r = remove(root, probe.of(key));
        if (r != root) root = r;
        if (removedNode != null) {
            size--;
            removedNode.left = removedNode.right = null;
        }
        return removedNode;
    }

    /** True if some node with a start in [lo, hi) has a version above v. */
    boolean anyAbove(byte[] lo, byte[] hi, long v) {
        Probe loProbe = probe.of(lo);
        Probe hiProbe = probeHi.of(hi);
        Node n = root;
        while (n != null && n.max > v) {
            if (compare(loProbe, n) > 0) {
                n = n.right;
            } else if (compare(hiProbe, n) <= 0) {
                n = n.left;
            } else {
                // n splits the range: everything right of lo in its left subtree and left of hi in its right one.
                return n.version > v || anyAtOrAbove(n.left, loProbe, v) || anyBelow(n.right, hiProbe, v);
            }
        }
        return false;
    }

    /** Collects, in key order, the nodes whose start is in [lo, hi). */
    void collect(byte[] lo, byte[] hi, ArrayList<Node> out) {
        collect(root, lo, hi, out);
    }

    // ---- internals ----

    private Node removedNode;

    /** Within subtree n, any node with start ≥ lo and version > v. */
    private static boolean anyAtOrAbove(Node n, Probe loProbe, long v) {
        while (n != null && n.max > v) {
            if (compare(loProbe, n) <= 0) {
                if (n.version > v || (n.right != null && n.right.max > v)) {
                    return true;
                }
                n = n.left;
            } else {
                n = n.right;
            }
        }
        return false;
    }

    /** Within subtree n, any node with start < hi and version > v. */
    private static boolean anyBelow(Node n, Probe hiProbe, long v) {
        while (n != null && n.max > v) {
            if (compare(hiProbe, n) > 0) {
                if (n.version > v || (n.left != null && n.left.max > v)) {
                    return true;
                }
                n = n.right;
            } else {
                n = n.left;
            }
        }
        return false;
    }

    private static void collect(Node n, byte[] lo, byte[] hi, ArrayList<Node> out) {
        while (n != null) {
            boolean aboveLo = Arrays.compareUnsigned(n.start, lo) >= 0;
            boolean belowHi = Arrays.compareUnsigned(n.start, hi) < 0;
            if (aboveLo && belowHi) {
                collect(n.left, lo, hi, out);
                out.add(n);
                n = n.right;
            } else if (aboveLo) {
                n = n.left;
            } else {
                n = n.right;
            }
        }
    }

    // Child links are stored only when they change: the tree is long-lived (old generation), and every
    // reference store into it dirties a card that the next young collection must scan. Rewriting the same
    // link at every level of every insert and removal cost about a third of the resolve stage's time.

    private static Node insert(Node t, Node node) {
        if (t == null) {
            return node;
        }
        if (compare(node.w0, node.w1, node.w2, node.start, t) < 0) {
            Node l = insert(t.left, node);
            if (l != t.left) t.left = l;
            if (l.priority > t.priority) {
                return rotateRight(t);
            }
        } else {
            Node r = insert(t.right, node);
            if (r != t.right) t.right = r;
            if (r.priority > t.priority) {
                return rotateLeft(t);
            }
        }
        pull(t);
        return t;
    }

    /** Removes key from subtree t; returns the new subtree. */
    private Node remove(Node t, Probe key) {
        if (t == null) {
            return null;
        }
        int c = compare(key, t);
        if (c == 0) {
            removedNode = t;
            return merge(t.left, t.right);
        }
        if (c < 0) {
            Node l = remove(t.left, key);
            if (l != t.left) t.left = l;
        } else {
            Node r = remove(t.right, key);
            if (r != t.right) t.right = r;
        }
        if (removedNode != null) {
            pull(t);
        }
        return t;
    }

    /** Joins two treaps where every start in a is below every start in b. */
    private static Node merge(Node a, Node b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (a.priority > b.priority) {
            Node r = merge(a.right, b);
            if (r != a.right) a.right = r;
            pull(a);
            return a;
        }
        Node l = merge(a, b.left);
        if (l != b.left) b.left = l;
        pull(b);
        return b;
    }

    private static Node rotateRight(Node t) {
        Node l = t.left;
        t.left = l.right;
        l.right = t;
        pull(t);
        pull(l);
        return l;
    }

    private static Node rotateLeft(Node t) {
        Node r = t.right;
        t.right = r.left;
        r.left = t;
        pull(t);
        pull(r);
        return r;
    }

    private static void pull(Node n) {
        long m = n.version;
        if (n.left != null && n.left.max > m) {
            m = n.left.max;
        }
        if (n.right != null && n.right.max > m) {
            m = n.right.max;
        }
        n.max = m;
    }

    /** A key being looked up, with its words computed once for the whole descent. */
    static final class Probe {
        byte[] key;
        long w0;
        long w1;
        long w2;

        Probe of(byte[] k) {
            key = k;
            w0 = word(k, 0);
            w1 = word(k, 8);
            w2 = word(k, 16);
            return this;
        }
    }

    // Reused by every lookup (the tree is single-threaded); range queries need two at once.
    private final Probe probe = new Probe();
    private final Probe probeHi = new Probe();

    private static int compare(Probe p, Node n) {
        return compare(p.w0, p.w1, p.w2, p.key, n);
    }

    /** Orders a key (given with its words) against n's start, unsigned-lexicographically. */
    private static int compare(long w0, long w1, long w2, byte[] key, Node n) {
        if (w0 != n.w0) return Long.compareUnsigned(w0, n.w0);
        if (w1 != n.w1) return Long.compareUnsigned(w1, n.w1);
        if (w2 != n.w2) return Long.compareUnsigned(w2, n.w2);
        return compareBeyondWords(key, key.length, n.start, n.start.length);
    }

    /**
     * Orders two keys whose words are equal. Where either fits in the words it is a prefix of the other (or
     * equal), see {@link #word}, so the lengths decide; past them, the bytes do (arrays are only read then).
     */
    static int compareBeyondWords(byte[] a, int aLength, byte[] b, int bLength) {
        if (aLength <= WORD_BYTES || bLength <= WORD_BYTES) {
            return Integer.compare(aLength, bLength);
        }
        return Arrays.compareUnsigned(a, WORD_BYTES, aLength, b, WORD_BYTES, bLength);
    }

    /** Bytes of a key held in a node's words. */
    static final int WORD_BYTES = 24;

    /**
     * Bytes [from, from + 8) of key, big-endian, zero-padded past its end. Where two keys' word sequences
     * differ, their unsigned order is the keys' order: a zero-padded short key sorts before any longer key
     * it is a prefix of, as the longer key's differing byte is non-zero. Where they are equal and either key
     * fits in the words, the shorter key is a prefix of the longer: only then, or past 24 bytes, is more needed.
     */
    static long word(byte[] key, int from) {
        if (key.length >= from + 8) {
            return (long) BIG_ENDIAN_LONG.get(key, from);
        }
        long p = 0;
        for (int i = from; i < key.length; i++) {
            p |= (key[i] & 0xFFL) << (56 - 8 * (i - from));
        }
        return p;
    }

    private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
}
