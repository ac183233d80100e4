package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RingsTest {
    @Test
    void everyLivePositionKeepsItsValueInItsNewSlot() {
        for (int oldLength : new int[] {1, 2, 8}) {
            for (long from = 0; from < 3L * oldLength; from++) {
                for (long to = from; to <= from + oldLength; to++) {
                    long[] ring = new long[oldLength];
                    String[] names = new String[oldLength];
                    for (long p = from; p < to; p++) {
                        ring[(int) (p & (oldLength - 1))] = p;
                        names[(int) (p & (oldLength - 1))] = "p" + p;
                    }
                    for (int length : new int[] {oldLength * 2, oldLength * 8}) {
                        long[] grown = Rings.regrown(ring, from, to, length);
                        String[] grownNames = Rings.regrown(names, from, to, length);
                        assertEquals(length, grown.length);
                        for (long p = from; p < to; p++) {
                            assertEquals(p, grown[(int) (p & (length - 1))], "position " + p);
                            assertEquals("p" + p, grownNames[(int) (p & (length - 1))], "position " + p);
                        }
                    }
                    assertEquals(oldLength * 2, Rings.doubled(ring, from, to).length);
                }
            }
        }
    }
}
