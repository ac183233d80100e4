package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyVersionTreeTest {
    @Test
    void wordOrderAgreesWithKeyOrder() {
        Random random = new Random(5);
        for (int i = 0; i < 200_000; i++) {
            byte[] a = TestKeys.random(random, 30);
            byte[] b = TestKeys.random(random, 30);
            int byPrefix = 0;
            for (int at = 0; at < KeyVersionTree.WORD_BYTES && byPrefix == 0; at += 8) {
                byPrefix = Long.compareUnsigned(KeyVersionTree.word(a, at), KeyVersionTree.word(b, at));
            }
            if (byPrefix != 0) {
                assertEquals(Integer.signum(Arrays.compareUnsigned(a, b)), Integer.signum(byPrefix),
                        Arrays.toString(a) + " vs " + Arrays.toString(b));
            }
        }
    }

    /**
     * Random puts, removes and queries against a TreeMap, with keys that share prefixes within, across and
     * past the 24 bytes a node holds as words (a small alphabet with zeros makes equal words and prefixes common).
     */
    @ParameterizedTest
    @ValueSource(ints = {10, 30})
    void behavesLikeASortedMapWithRangeMaxima(int maxKeyLength) {
        Random random = new Random(11 + maxKeyLength);
        KeyVersionTree tree = new KeyVersionTree();
        TreeMap<byte[], Long> model = new TreeMap<>(Arrays::compareUnsigned);
        long version = 0;
        for (int step = 0; step < 20_000; step++) {
            byte[] key = TestKeys.random(random, maxKeyLength);
            switch (random.nextInt(3)) {
                case 0 -> {
                    tree.remove(key);
                    tree.insert(tree.newNode(key, null, ++version));
                    model.put(key, version);
                }
                case 1 -> {
                    KeyVersionTree.Node removed = tree.remove(key);
                    Long expected = model.remove(key);
                    assertEquals(expected, removed == null ? null : removed.version);
                }
                default -> {
                    byte[] other = TestKeys.random(random, maxKeyLength);
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
                    assertEquals(model.get(key), f != null && Arrays.equals(f.start, key) ? f.version : null);
                }
            }
            assertEquals(model.size(), tree.size());
        }
        ArrayList<KeyVersionTree.Node> all = new ArrayList<>();
        tree.collect(new byte[0], new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, all);
        assertEquals(new ArrayList<>(model.values()), all.stream().map(n -> n.version).toList());
        for (byte[] key : new ArrayList<>(model.keySet())) {
            KeyVersionTree.Node node = tree.floor(key);
            assertArrayEquals(key, node.start);
            assertSame(node, tree.remove(key));
        }
        assertEquals(0, tree.size());
        assertNull(tree.floor(new byte[] {1}));
    }
}
