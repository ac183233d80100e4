package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IdQueueTest {
    private record Entry(long position, byte[] id, int hash, long version, long timestamp) { }

    /**
     * A FIFO whose live set swings between empty and a few hundred entries of 0 to 4096-byte ids: ids cross
     * page ends (and skip to the next page), the entry rings and the page table grow, and pages are reused as
     * the positions wrap. Every live entry reads back exactly, and memory follows the live set, not the total.
     */
    @Test
    void everyLiveEntryReadsBackAndMemoryFollowsTheLiveSet() {
        Random random = new Random(3);
        IdQueue queue = new IdQueue();
        ArrayDeque<Entry> model = new ArrayDeque<>();
        long version = 0;
        for (int step = 0; step < 200_000; step++) {
            int target = (step / 5_000) % 2 == 0 ? 300 : 5;  // grow, then shrink, repeatedly
            if (model.size() < target && random.nextInt(3) != 0) {
                byte[] id = new byte[random.nextInt(10) == 0 ? random.nextInt(IdQueue.MAX_ID_BYTES + 1) : random.nextInt(64)];
                random.nextBytes(id);
                Entry e = new Entry(queue.tail(), id, random.nextInt(), ++version, random.nextLong());
                assertEquals(e.position(), queue.add(e.id(), e.hash(), e.version(), e.timestamp()));
                model.addLast(e);
            } else if (!model.isEmpty()) {
                assertEquals(model.removeFirst().position(), queue.head());
                queue.removeHead();
            }
            assertEquals(model.size(), queue.size());
            if (step % 997 == 0) {
                for (Entry e : model) {
                    assertArrayEquals(e.id(), queue.id(e.position()));
                    assertTrue(queue.idEquals(e.position(), e.id()));
                    assertEquals(e.hash(), queue.hash(e.position()));
                    assertEquals(e.version(), queue.version(e.position()));
                    assertEquals(e.timestamp(), queue.timestamp(e.position()));
                    byte[] other = e.id().clone();
                    if (other.length > 0) {
                        other[other.length - 1] ^= 1;
                        assertFalse(queue.idEquals(e.position(), other));
                    }
                }
            }
        }
        // 300 live ids of at most 4 KiB need at most ~1.3 MB of pages and rings, whatever went through.
        assertTrue(queue.heapBytes() < 4 << 20, "heap " + queue.heapBytes());
        assertThrows(IllegalArgumentException.class, () -> queue.add(new byte[IdQueue.MAX_ID_BYTES + 1], 0, 0, 0));
    }
}
