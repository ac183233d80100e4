package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PointVersionTreeTest {
    private record Item(int node, long version, byte[] key) { }

    /**
     * The conflict history's use, against a TreeMap: versions of 1–3 writes (sometimes the same key twice),
     * evicted oldest first by node as ConflictHistory does, so nodes are freed and reused; queries between.
     */
    @ParameterizedTest
    @ValueSource(ints = {6, 30})
    void behavesLikeASortedMapUnderFifoEviction(int maxKeyLength) {
        Random random = new Random(17 + maxKeyLength);
        PointVersionTree tree = new PointVersionTree();
        TreeMap<byte[], Long> model = new TreeMap<>(Arrays::compareUnsigned);
        ArrayDeque<Item> fifo = new ArrayDeque<>();
        int window = 40;
        for (long version = 1; version <= 20_000; version++) {
            int writes = 1 + random.nextInt(3);
            byte[] first = null;
            for (int w = 0; w < writes; w++) {
                byte[] key = first != null && random.nextInt(4) == 0 ? first.clone() : TestKeys.random(random, maxKeyLength);
                first = key;
                fifo.add(new Item(tree.putNewest(key, version), version, key));
                model.put(key, version);
            }
            while (fifo.peekFirst().version() <= version - window) {
                Item item = fifo.removeFirst();
                tree.evict(item.node(), item.version());
                if (Long.valueOf(item.version()).equals(model.get(item.key()))) {
                    model.remove(item.key());
                }
            }
            assertEquals(model.size(), tree.size(), "version " + version);
            assertEquals(0, tree.firstWrongMax(), "a stale subtree maximum after version " + version);
            for (int q = 0; q < 3; q++) {
                byte[] a = TestKeys.random(random, maxKeyLength);
                byte[] b = random.nextBoolean() ? TestKeys.random(random, maxKeyLength) : fifo.peekLast().key();
                byte[] lo = Arrays.compareUnsigned(a, b) <= 0 ? a : b;
                byte[] hi = lo == a ? b : a;
                long v = version - random.nextInt(window + 1);
                assertEquals(model.subMap(lo, true, hi, false).values().stream().anyMatch(x -> x > v), tree.anyAbove(lo, hi, v));
                byte[] probe = random.nextBoolean() ? a : fifo.peekLast().key();
                Long exact = model.get(probe);
                assertEquals(exact != null && exact > v, tree.containsAbove(probe, v));
            }
        }
        while (!fifo.isEmpty()) {
            Item item = fifo.removeFirst();
            tree.evict(item.node(), item.version());
        }
        assertEquals(0, tree.size());
        assertFalse(tree.anyAbove(new byte[0], new byte[] {(byte) 0xFF, (byte) 0xFF}, Long.MIN_VALUE + 1));
    }
}
