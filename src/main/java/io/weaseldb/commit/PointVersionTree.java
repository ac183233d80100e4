package io.weaseldb.commit;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The conflict history's single-key writes: an ordered map from key (unsigned lexicographic bytes) to the
 * version that last wrote it, with subtree maxima so that "did any key in [lo, hi) change after v?" is
 * O(log n). The same treap as {@link KeyVersionTree}, but its nodes are slices of one {@code long[]} indexed
 * by node number instead of one object each, with the key's first 24 bytes held as three words.
 *
 * <p>Why arrays: the history holds hundreds of thousands of entries for a few seconds each, far longer than
 * a young collection's interval. As objects, every node and its key array was copied by several young
 * collections before promotion, and every link store dirtied a card (measured: ≈ 2 µs of GC per commit of
 * three keys at a 100 k-version window). Here two long-lived arrays hold everything: only {@link #longKeys}
 * holds references, and a key of up to 24 bytes is not retained at all; a longer key keeps its array (the
 * bytes past the words are compared from it).
 *
 * <p>Node 0 is the null node. Free nodes are chained through their left link. Not thread-safe: owned by the
 * resolve stage's thread.
 */
final class PointVersionTree {
    private static final int NIL = 0;
    private static final int WORD_BYTES = KeyVersionTree.WORD_BYTES;

    private final SplittableRandom random = new SplittableRandom(System.nanoTime());
    // Node n's fields, interleaved in one array so that a descent touches one or two cache lines per level
    // (parallel arrays per field were measured 2x slower on deep descents: a miss per field).
    private static final int STRIDE = 8;   // longs per node: 64 bytes
    private static final int W0 = 0;       // the key's bytes 0-7, 8-15, 16-23 (see KeyVersionTree.word)
    private static final int W1 = 1;
    private static final int W2 = 2;
    private static final int VERSION = 3;
    private static final int MAX = 4;      // max version in the subtree
    private static final int LINKS = 5;    // left child << 32 | right child
    private static final int META = 6;     // priority << 32 | key length
    private long[] nodes;
    /** The whole key, for keys longer than the words; null otherwise. */
    private byte[][] longKeys;

    private int root = NIL;
    private int size;
    private int freeHead = NIL;
    private int used = 1;  // nodes [1, used) have been handed out at least once

    // The key being looked up, its words computed once per descent (two for range queries).
    private final KeyVersionTree.Probe probe = new KeyVersionTree.Probe();
    private final KeyVersionTree.Probe probeHi = new KeyVersionTree.Probe();

    /** Set by {@link #remove(int, int)} when it found its node. */
    private boolean removed;

    PointVersionTree() {
        allocate(1024);
    }

    int size() {
        return size;
    }

    /**
     * Sets {@code key}'s version, inserting it if absent, and returns its node (for {@link #evict}).
     * {@code v} must be ≥ every version in the tree (the history only grows), so an update raises the maxima
     * on its path without recomputing them.
     */
    int putNewest(byte[] key, long v) {
        probe.of(key);
        int n = root;
        while (n != NIL) {
            int c = compareProbe(n);
            if (c == 0) {
                nodes[n * STRIDE + VERSION] = v;
                for (int a = root; a != n; a = compareProbe(a) < 0 ? left(a) : right(a)) {
                    setMax(a, v);
                }
                setMax(n, v);
                return n;
            }
            n = c < 0 ? left(n) : right(n);
        }
        int node = newNode(key, v);
        root = insert(root, node);
        size++;
        return node;
    }

    /**
     * Removes {@code node} if {@code v} is still its version (eviction: unless the key was rewritten since).
     * Evictions must come oldest version first, as the conflict history's FIFO makes them: no version older
     * than {@code v} may remain in the tree.
     */
    void evict(int node, long v) {
        if (version(node) != v) {
            return;
        }
        removed = false;
        root = remove(root, node);
        if (!removed) {
            throw new IllegalStateException("node " + node + " at version " + v + " is not in the tree");
        }
        size--;
        longKeys[node] = null;
        nodes[node * STRIDE + VERSION] = Long.MIN_VALUE;  // a second eviction item for it (same key twice in one commit) is a no-op
        setLeft(node, freeHead);
        freeHead = node;
    }

    /** The length of node's key (valid until the node is reused by a later insert). */
    int keyLength(int node) {
        return length(node);
    }

    /** True if {@code key} is in the tree with a version above v; stops where a subtree holds nothing newer. */
    boolean containsAbove(byte[] key, long v) {
        probe.of(key);
        int n = root;
        while (n != NIL && max(n) > v) {
            int c = compareProbe(n);
            if (c == 0) {
                return version(n) > v;
            }
            n = c < 0 ? left(n) : right(n);
        }
        return false;
    }

    /** True if some key in [lo, hi) has a version above v. */
    boolean anyAbove(byte[] lo, byte[] hi, long v) {
        probe.of(lo);
        probeHi.of(hi);
        int n = root;
        while (n != NIL && max(n) > v) {
            if (compareProbe(n) > 0) {
                n = right(n);
            } else if (compareHi(n) <= 0) {
                n = left(n);
            } else {
                // n splits the range: everything from lo on in its left subtree, before hi in its right one.
                return version(n) > v || anyAtOrAboveLo(left(n), v) || anyBelowHi(right(n), v);
            }
        }
        return false;
    }

    /** For tests: the first node whose stored subtree maximum is not its subtree's maximum, or NIL if none. */
    int firstWrongMax() {
        return firstWrongMax(root);
    }

    private int firstWrongMax(int n) {
        if (n == NIL) {
            return NIL;
        }
        int wrong = firstWrongMax(left(n));
        if (wrong == NIL) wrong = firstWrongMax(right(n));
        if (wrong == NIL && max(n) != Math.max(version(n), Math.max(max(left(n)), max(right(n))))) wrong = n;
        return wrong;
    }

    // ---- internals ----

    private boolean anyAtOrAboveLo(int n, long v) {
        while (n != NIL && max(n) > v) {
            if (compareProbe(n) <= 0) {
                if (version(n) > v || max(right(n)) > v) {
                    return true;
                }
                n = left(n);
            } else {
                n = right(n);
            }
        }
        return false;
    }

    private boolean anyBelowHi(int n, long v) {
        while (n != NIL && max(n) > v) {
            if (compareHi(n) > 0) {
                if (version(n) > v || max(left(n)) > v) {
                    return true;
                }
                n = right(n);
            } else {
                n = left(n);
            }
        }
        return false;
    }

    // Links are stored only when they change, as in KeyVersionTree (fewer dirty cache lines).
    //
    // Maxima on the descent path are kept without reading the path's siblings: an inserted node holds the
    // newest version, so every subtree it joins has exactly that maximum; an evicted node holds the oldest, and
    // each ancestor stays in the tree with a version at least that old, so no ancestor's maximum changes. Only
    // rotations and the merge below an evicted node recompute from both children. (Reading the sibling at every
    // level was a cache miss per level in a tree of a few hundred thousand keys.)

    /** Inserts node, whose version is ≥ every version in subtree t; returns the new subtree. */
    private int insert(int t, int node) {
        if (t == NIL) {
            return node;
        }
        if (compareNodes(node, t) < 0) {
            int l = insert(left(t), node);
            if (l != left(t)) setLeft(t, l);
            if (priority(l) > priority(t)) {
                return rotateRight(t);
            }
        } else {
            int r = insert(right(t), node);
            if (r != right(t)) setRight(t, r);
            if (priority(r) > priority(t)) {
                return rotateLeft(t);
            }
        }
        setMax(t, version(node));
        return t;
    }

    /**
     * Removes {@code node}, whose version is ≤ every version in the tree, from subtree t, descending by its
     * key; returns the new subtree.
     */
    private int remove(int t, int node) {
        if (t == NIL) {
            return NIL;
        }
        if (t == node) {
            removed = true;
            return merge(left(t), right(t));
        }
        if (compareNodes(node, t) < 0) {
            int l = remove(left(t), node);
            if (l != left(t)) setLeft(t, l);
        } else {
            int r = remove(right(t), node);
            if (r != right(t)) setRight(t, r);
        }
        return t;
    }

    /** Joins two treaps where every key in a is below every key in b. */
    private int merge(int a, int b) {
        if (a == NIL) {
            return b;
        }
        if (b == NIL) {
            return a;
        }
        if (priority(a) > priority(b)) {
            int r = merge(right(a), b);
            if (r != right(a)) setRight(a, r);
            pull(a);
            return a;
        }
        int l = merge(a, left(b));
        if (l != left(b)) setLeft(b, l);
        pull(b);
        return b;
    }

    private int rotateRight(int t) {
        int l = left(t);
        setLeft(t, right(l));
        setRight(l, t);
        pull(t);
        pull(l);
        return l;
    }

    private int rotateLeft(int t) {
        int r = right(t);
        setRight(t, left(r));
        setLeft(r, t);
        pull(t);
        pull(r);
        return r;
    }

    /** max(NIL) stays Long.MIN_VALUE, so children need no null test. */
    private void pull(int n) {
        setMax(n, Math.max(version(n), Math.max(max(left(n)), max(right(n)))));
    }

    private int compareProbe(int n) {
        return compare(probe.w0, probe.w1, probe.w2, probe.key, probe.key.length, n);
    }

    private int compareHi(int n) {
        return compare(probeHi.w0, probeHi.w1, probeHi.w2, probeHi.key, probeHi.key.length, n);
    }

    private int compareNodes(int a, int b) {
        int at = a * STRIDE;
        return compare(nodes[at + W0], nodes[at + W1], nodes[at + W2], longKeys[a], length(a), b);
    }

    /**
     * Orders a key (its words, length, and its bytes when longer than the words) against node n's key; see
     * {@link KeyVersionTree#word} for why equal words leave only the lengths or the tails to compare.
     */
    private int compare(long k0, long k1, long k2, byte[] key, int keyLength, int n) {
        int b = n * STRIDE;
        long n0 = nodes[b + W0];
        if (k0 != n0) return Long.compareUnsigned(k0, n0);
        long n1 = nodes[b + W1];
        if (k1 != n1) return Long.compareUnsigned(k1, n1);
        long n2 = nodes[b + W2];
        if (k2 != n2) return Long.compareUnsigned(k2, n2);
        return KeyVersionTree.compareBeyondWords(key, keyLength, longKeys[n], length(n));
    }

    private long version(int n) {
        return nodes[n * STRIDE + VERSION];
    }

    private long max(int n) {
        return nodes[n * STRIDE + MAX];
    }

    private void setMax(int n, long v) {
        nodes[n * STRIDE + MAX] = v;
    }

    private int left(int n) {
        return (int) (nodes[n * STRIDE + LINKS] >>> 32);
    }

    private int right(int n) {
        return (int) nodes[n * STRIDE + LINKS];
    }

    private void setLeft(int n, int l) {
        int at = n * STRIDE + LINKS;
        nodes[at] = (long) l << 32 | (nodes[at] & 0xFFFF_FFFFL);
    }

    private void setRight(int n, int r) {
        int at = n * STRIDE + LINKS;
        nodes[at] = (nodes[at] & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
    }

    private int priority(int n) {
        return (int) (nodes[n * STRIDE + META] >>> 32);
    }

    private int length(int n) {
        return (int) nodes[n * STRIDE + META];
    }

    private int newNode(byte[] key, long v) {
        int n = freeHead;
        if (n != NIL) {
            freeHead = left(n);
        } else {
            if (used * STRIDE == nodes.length) {
                allocate(used * 2);
            }
            n = used++;
        }
        int b = n * STRIDE;
        nodes[b + W0] = probe.w0;  // the probe is this key
        nodes[b + W1] = probe.w1;
        nodes[b + W2] = probe.w2;
        nodes[b + VERSION] = v;
        nodes[b + MAX] = v;
        nodes[b + LINKS] = 0;  // NIL, NIL
        nodes[b + META] = (long) random.nextInt() << 32 | key.length;
        longKeys[n] = key.length > WORD_BYTES ? key : null;
        return n;
    }

    private void allocate(int capacity) {
        if (nodes == null) {
            nodes = new long[capacity * STRIDE];
            longKeys = new byte[capacity][];
            nodes[NIL * STRIDE + MAX] = Long.MIN_VALUE;  // so pull() and the range walks need no null test
            nodes[NIL * STRIDE + VERSION] = Long.MIN_VALUE;
        } else {
            nodes = Arrays.copyOf(nodes, capacity * STRIDE);
            longKeys = Arrays.copyOf(longKeys, capacity);
        }
    }
}
