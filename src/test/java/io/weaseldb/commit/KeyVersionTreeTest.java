package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class KeyVersionTreeTest {
    private static final byte[] ALPHABET = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFF};

    private static byte[] randomKey(Random random, int maxLength) {
        byte[] k = new byte[random.nextInt(maxLength + 1)];
        for (int i = 0; i < k.length; i++) {
            k[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return k;
    }

    @Test
    void prefixOrderAgreesWithKeyOrder() {
        Random random = new Random(5);
        for (int i = 0; i < 200_000; i++) {
            byte[] a = randomKey(random, 12);
            byte[] b = randomKey(random, 12);
            int byPrefix = Long.compareUnsigned(KeyVersionTree.prefix(a), KeyVersionTree.prefix(b));
            if (byPrefix != 0) {
                assertEquals(Integer.signum(Arrays.compareUnsigned(a, b)), Integer.signum(byPrefix),
                        Arrays.toString(a) + " vs " + Arrays.toString(b));
            }
        }
    }

    /** Random puts, removes and queries against a TreeMap, with keys long enough to share 8-byte prefixes. */
    @Test
    void behavesLikeASortedMapWithRangeMaxima() {
        Random random = new Random(11);
        KeyVersionTree tree = new KeyVersionTree();
        TreeMap<byte[], Long> model = new TreeMap<>(Arrays::compareUnsigned);
        long version = 0;
        for (int step = 0; step < 20_000; step++) {
            byte[] key = randomKey(random, 10);
            switch (random.nextInt(3)) {
                case 0 -> {
                    tree.putNewest(key, ++version);
                    model.put(key, version);
                }
                case 1 -> {
                    KeyVersionTree.Node removed = tree.remove(key);
                    Long expected = model.remove(key);
                    assertEquals(expected, removed == null ? null : removed.version);
                }
                default -> {
                    byte[] other = randomKey(random, 10);
                    byte[] lo = Arrays.compareUnsigned(key, other) <= 0 ? key : other;
                    byte[] hi = lo == key ? other : key;
                    long v = random.nextLong(version + 1);
                    boolean expected = model.subMap(lo, true, hi, false).values().stream().anyMatch(x -> x > v);
                    assertEquals(expected, tree.anyAbove(lo, hi, v));
                    Map.Entry<byte[], Long> floor = model.floorEntry(key);
                    KeyVersionTree.Node f = tree.floor(key);
                    assertEquals(floor == null ? null : floor.getValue(), f == null ? null : f.version);
                    Map.Entry<byte[], Long> lower = model.lowerEntry(key);
                    KeyVersionTree.Node l = tree.lower(key);
                    assertEquals(lower == null ? null : lower.getValue(), l == null ? null : l.version);
                    Long exact = model.get(key);
                    assertEquals(exact != null && exact > v, tree.containsAbove(key, v));
                }
            }
            assertEquals(model.size(), tree.size());
        }
        ArrayList<KeyVersionTree.Node> all = new ArrayList<>();
        tree.collect(new byte[0], new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, all);
        assertEquals(new ArrayList<>(model.values()), all.stream().map(n -> n.version).toList());
        for (byte[] key : new ArrayList<>(model.keySet())) {
            assertSame(tree.find(key), tree.remove(key));
        }
        assertEquals(0, tree.size());
        assertNull(tree.floor(new byte[] {1}));
    }
}
