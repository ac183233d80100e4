package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ConflictHistoryTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static ConflictHistory history() {
        return new ConflictHistory(0, 1000, Long.MAX_VALUE);
    }

    private static Operation op(String kind) {
        return switch (kind) {
            case "write" -> Operation.write(b("k"), b("v"));
            case "delete" -> Operation.delete(b("k"));
            case "range_delete" -> Operation.rangeDelete(b("c"), b("m"));       // covers "k"
            case "exact_range_delete" -> Operation.rangeDelete(b("k"), b("k\0")); // exactly "k"
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /**
     * The matrix: {point_read, range_read} × {write, delete, range_delete} × the touching commit (version 5)
     * before / at / after the read version. Unrelated commits surround it.
     */
    @ParameterizedTest(name = "{0} vs {1} at read version {2}")
    @CsvSource({
        "point_read, write, 6, false", "point_read, write, 5, false", "point_read, write, 4, true",
        "point_read, delete, 6, false", "point_read, delete, 5, false", "point_read, delete, 4, true",
        "point_read, range_delete, 6, false", "point_read, range_delete, 5, false", "point_read, range_delete, 4, true",
        "point_read, exact_range_delete, 6, false", "point_read, exact_range_delete, 5, false", "point_read, exact_range_delete, 4, true",
        "range_read, write, 6, false", "range_read, write, 5, false", "range_read, write, 4, true",
        "range_read, delete, 6, false", "range_read, delete, 5, false", "range_read, delete, 4, true",
        "range_read, range_delete, 6, false", "range_read, range_delete, 5, false", "range_read, range_delete, 4, true",
        "range_read, exact_range_delete, 6, false", "range_read, exact_range_delete, 5, false", "range_read, exact_range_delete, 4, true",
    })
    void conflictMatrix(String read, String write, long readVersion, boolean conflict) {
        ConflictHistory h = history();
        for (long v = 1; v <= 8; v++) {
            h.record(v, v == 5 ? List.of(op(write)) : List.of(Operation.write(b("unrelated" + v), b("x")), Operation.rangeDelete(b("x"), b("z"))));
        }
        boolean actual = read.equals("point_read")
                ? h.pointReadConflicts(b("k"), readVersion)
                : h.rangeReadConflicts(b("j"), b("l"), readVersion);
        assertEquals(conflict, actual);
        CommitRequest request = request(read.equals("point_read") ? Precondition.pointRead(b("k"), readVersion)
                : Precondition.rangeRead(b("j"), b("l"), readVersion));
        assertArrayEquals(conflict ? new int[] {0} : new int[0], h.check(request));
    }

    @Test
    void rangeBoundariesAreHalfOpen() {
        ConflictHistory h = history();
        h.record(1, List.of(Operation.write(b("b"), b("1"))));
        assertTrue(h.rangeReadConflicts(b("b"), b("c"), 0), "begin is inclusive");
        assertFalse(h.rangeReadConflicts(b("a"), b("b"), 0), "end is exclusive");
        assertTrue(h.rangeReadConflicts(b("a"), b("b\0"), 0));
        assertFalse(h.rangeReadConflicts(b("b\0"), b("z"), 0), "\"b\" sorts before \"b\\0\"");
        assertTrue(h.rangeReadConflicts(b(""), b("z"), 0));
        assertFalse(h.rangeReadConflicts(b("b"), b("b"), 0), "an empty range never conflicts");
        assertFalse(h.rangeReadConflicts(b("c"), b("z"), 0));
        assertFalse(h.pointReadConflicts(b("b\0"), 0));
        assertFalse(h.pointReadConflicts(b(""), 0));

        h.record(2, List.of(Operation.rangeDelete(b("m"), b("p"))));
        assertTrue(h.pointReadConflicts(b("m"), 1), "range delete begin is inclusive");
        assertTrue(h.pointReadConflicts(b("o\u00ff\u00ff"), 1));
        assertFalse(h.pointReadConflicts(b("p"), 1), "range delete end is exclusive");
        assertFalse(h.pointReadConflicts(b("l\u00ff"), 1));
        assertFalse(h.rangeReadConflicts(b("p"), b("z"), 1), "adjacent after");
        assertFalse(h.rangeReadConflicts(b("c"), b("m"), 1), "adjacent before");
        assertTrue(h.rangeReadConflicts(b("c"), b("m\0"), 1));
        assertTrue(h.rangeReadConflicts(b("o"), b("z"), 1), "overlaps the tail");
        assertTrue(h.rangeReadConflicts(b("n"), b("n\0"), 1), "inside");
        assertTrue(h.rangeReadConflicts(b("a"), b("z"), 1), "contains it");
        assertFalse(h.rangeReadConflicts(b("n"), b("n"), 1), "an empty range never conflicts");

        h.record(3, List.of(Operation.rangeDelete(b("x"), b("x"))));  // empty: touches nothing
        assertFalse(h.pointReadConflicts(b("x"), 2));
        assertFalse(h.rangeReadConflicts(b("w"), b("y"), 2));
    }

    @Test
    void keysCompareAsUnsignedBytes() {
        ConflictHistory h = history();
        h.record(1, List.of(Operation.write(new byte[] {(byte) 0xFF}, b("v"))));
        assertTrue(h.rangeReadConflicts(new byte[] {0x01}, new byte[] {(byte) 0xFF, 0}, 0));
        assertFalse(h.rangeReadConflicts(new byte[] {0x01}, new byte[] {0x7F}, 0), "0xFF is above 0x7F, not negative");
        h.record(2, List.of(Operation.rangeDelete(new byte[] {(byte) 0x80}, new byte[] {(byte) 0x90})));
        assertTrue(h.pointReadConflicts(new byte[] {(byte) 0x85}, 1));
        assertFalse(h.pointReadConflicts(new byte[] {0x05}, 1));
    }

    @Test
    void checkReportsEveryFailedIndexAndUsesReadVersion() {
        ConflictHistory h = history();
        h.record(1, List.of(Operation.write(b("a"), b("1"))));
        h.record(2, List.of(Operation.write(b("c"), b("1"))));
        CommitRequest.Builder builder = CommitRequest.builder(CommitLimits.DEFAULTS);
        try {
            builder.readVersion(1)
                    .pointRead(b("a"), false, 0)          // a@1 at 1: holds
                    .pointRead(b("c"), false, 0)          // c@2 after 1: fails
                    .pointRead(b("a"), true, 0)           // a@1 after 0: fails
                    .rangeRead(b("b"), b("d"), true, 2)   // nothing after 2
                    .rangeRead(b("b"), b("d"), false, 0); // c@2 after 1: fails
            assertArrayEquals(new int[] {1, 2, 4}, h.check(builder.build()));
        } catch (CommitRequestException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void rangeDeletesThatSplitOlderOnesStayExactThroughEviction() {
        ConflictHistory h = new ConflictHistory(0, 2, Long.MAX_VALUE);
        h.record(1, List.of(Operation.rangeDelete(b("a"), b("z"))));
        h.record(2, List.of(Operation.rangeDelete(b("m"), b("n"))));    // splits [a,z) into [a,m) [m,n)@2 [n,z)
        assertTrue(h.pointReadConflicts(b("b"), 0));
        assertTrue(h.pointReadConflicts(b("y"), 0), "the piece after the split keeps version 1");
        assertFalse(h.pointReadConflicts(b("y"), 1));
        assertTrue(h.pointReadConflicts(b("m"), 1));
        h.record(3, List.of());                                          // evicts version 1 and all its pieces
        assertEquals(1, h.oldestCheckableVersion());
        assertFalse(h.pointReadConflicts(b("b"), 1));
        assertFalse(h.pointReadConflicts(b("y"), 1));
        assertTrue(h.pointReadConflicts(b("m"), 1));
        h.record(4, List.of());
        h.record(5, List.of());
        assertEquals(0, h.entryCount(), "every piece was evicted");
    }

    @Test
    void evictionBoundsVersionsAndExposesTheThreshold() {
        ConflictHistory h = new ConflictHistory(10, 3, Long.MAX_VALUE);
        assertEquals(10, h.oldestCheckableVersion());
        assertThrows(IllegalArgumentException.class, () -> h.record(12, List.of()), "gap");
        assertThrows(IllegalArgumentException.class, () -> h.record(10, List.of()), "reuse");
        h.record(11, List.of(Operation.write(b("k"), b("v"))));
        h.record(12, List.of());
        h.record(13, List.of());
        assertEquals(10, h.oldestCheckableVersion());
        assertTrue(h.pointReadConflicts(b("k"), 10));
        h.record(14, List.of());
        assertEquals(11, h.oldestCheckableVersion(), "version 11 evicted: reads at 11 are still exact, at 10 are not");
        assertFalse(h.pointReadConflicts(b("k"), 11));
        assertThrows(IllegalArgumentException.class, () -> h.pointReadConflicts(b("k"), 10));
        assertEquals(3, h.retainedVersions());
        assertEquals(0, h.entryCount());
    }

    @Test
    void aRewrittenKeyOutlivesTheEvictionOfItsOlderWrite() {
        ConflictHistory h = new ConflictHistory(0, 2, Long.MAX_VALUE);
        h.record(1, List.of(Operation.write(b("k"), b("1"))));
        h.record(2, List.of(Operation.write(b("k"), b("2")), Operation.delete(b("k"))));
        h.record(3, List.of());  // evicts 1
        assertTrue(h.pointReadConflicts(b("k"), 1), "the write at 2 is still there");
        h.record(4, List.of());  // evicts 2
        assertFalse(h.pointReadConflicts(b("k"), 2));
        assertEquals(0, h.entryCount());
    }

    @Test
    void evictionBoundsMemory() {
        long perWrite = 1 + ConflictHistory.POINT_OVERHEAD;
        long perVersion = perWrite + ConflictHistory.VERSION_OVERHEAD;
        ConflictHistory h = new ConflictHistory(0, 1_000_000, 10 * perVersion);
        for (long v = 1; v <= 100; v++) {
            h.record(v, List.of(Operation.write(new byte[] {(byte) v}, b("value"))));
            assertTrue(h.retainedBytes() <= 10 * perVersion);
        }
        assertEquals(10, h.retainedVersions());
        assertEquals(90, h.oldestCheckableVersion());
        // A single version larger than the budget leaves nothing but the guarantee that reads at it are exact.
        h.record(101, List.of(Operation.write(new byte[600], b("v")), Operation.write(new byte[700], b("v"))));
        assertEquals(101, h.oldestCheckableVersion());
        assertEquals(0, h.retainedBytes());
        assertEquals(0, h.entryCount());
    }

    @Test
    void retainsNothingWithAZeroWindow() {
        ConflictHistory h = new ConflictHistory(0, 0, Long.MAX_VALUE);
        h.record(1, List.of(Operation.write(b("k"), b("v"))));
        assertEquals(1, h.oldestCheckableVersion());
        assertFalse(h.pointReadConflicts(b("k"), 1));
    }

    /** Random operations over a tiny key space, checked against a brute-force scan of the full history. */
    @Test
    void agreesWithBruteForceOnRandomHistories() {
        Random random = new Random(2024);
        for (int trial = 0; trial < 30; trial++) {
            int window = 1 + random.nextInt(40);
            ConflictHistory h = new ConflictHistory(0, window, Long.MAX_VALUE);
            List<List<Operation>> log = new ArrayList<>();
            log.add(List.of());  // version 0
            for (long v = 1; v <= 300; v++) {
                List<Operation> ops = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    ops.add(switch (random.nextInt(4)) {
                        case 0 -> Operation.write(randomKey(random), b("v"));
                        case 1 -> Operation.delete(randomKey(random));
                        default -> {
                            byte[] x = randomKey(random);
                            byte[] y = randomKey(random);
                            yield Arrays.compareUnsigned(x, y) <= 0 ? Operation.rangeDelete(x, y) : Operation.rangeDelete(y, x);
                        }
                    });
                }
                h.record(v, ops);
                log.add(ops);
                for (int q = 0; q < 20; q++) {
                    long readVersion = h.oldestCheckableVersion() + random.nextLong(v - h.oldestCheckableVersion() + 1);
                    byte[] x = randomKey(random);
                    byte[] y = randomKey(random);
                    if (Arrays.compareUnsigned(x, y) > 0) {
                        byte[] t = x;
                        x = y;
                        y = t;
                    }
                    assertEquals(bruteForce(log, readVersion, x, null), h.pointReadConflicts(x, readVersion),
                            "trial " + trial + " point " + Arrays.toString(x) + " @" + readVersion + " after " + v);
                    assertEquals(bruteForce(log, readVersion, x, y), h.rangeReadConflicts(x, y, readVersion),
                            "trial " + trial + " range " + Arrays.toString(x) + ".." + Arrays.toString(y) + " @" + readVersion);
                }
            }
            // Nothing leaks: once the window has only empty versions, the trees are empty.
            for (long v = 301; v <= 300 + window + 1; v++) {
                h.record(v, List.of());
            }
            assertEquals(0, h.entryCount(), "trial " + trial);
            assertEquals(window * (long) ConflictHistory.VERSION_OVERHEAD, h.retainedBytes());
        }
    }

    private static final byte[] ALPHABET = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFF};

    private static byte[] randomKey(Random random) {
        byte[] k = new byte[random.nextInt(3)];
        for (int i = 0; i < k.length; i++) {
            k[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return k;
    }

    /** Point read when end is null, else range read [begin, end). */
    private static boolean bruteForce(List<List<Operation>> log, long readVersion, byte[] begin, byte[] end) {
        for (int v = (int) readVersion + 1; v < log.size(); v++) {
            for (Operation op : log.get(v)) {
                byte[] lo = op.begin();
                byte[] hi = op.type() == Operation.Type.RANGE_DELETE ? op.end() : Arrays.copyOf(op.key(), op.key().length + 1);
                byte[] qlo = begin;
                byte[] qhi = end == null ? Arrays.copyOf(begin, begin.length + 1) : end;
                // [lo,hi) and [qlo,qhi) intersect when both are non-empty and each starts before the other ends.
                if (Arrays.compareUnsigned(lo, hi) < 0 && Arrays.compareUnsigned(qlo, qhi) < 0
                        && Arrays.compareUnsigned(lo, qhi) < 0 && Arrays.compareUnsigned(qlo, hi) < 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static CommitRequest request(Precondition p) {
        try {
            CommitRequest.Builder b = CommitRequest.builder(CommitLimits.DEFAULTS);
            if (p.type() == Precondition.Type.POINT_READ) {
                b.pointRead(p.key(), true, p.version());
            } else {
                b.rangeRead(p.begin(), p.end(), true, p.version());
            }
            return b.build();
        } catch (CommitRequestException e) {
            throw new AssertionError(e);
        }
    }
}
