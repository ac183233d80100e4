package io.weaseldb.commit;

import java.util.Arrays;
import java.util.Random;

/** Random keys for the ordered structures' model tests. */
final class TestKeys {
    /** Bytes where equal words, zero padding and shared prefixes are common. */
    private static final byte[] ALPHABET = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFF};

    private TestKeys() { }

    /**
     * A key of 0 to maxLength bytes from a small alphabet with zeros. Beyond the 24 bytes a tree node holds
     * as words, half the keys share their first 21 bytes, so comparisons reach the arrays' tails and the
     * word/length boundary.
     */
    static byte[] random(Random random, int maxLength) {
        byte[] k = new byte[random.nextInt(maxLength + 1)];
        int shared = maxLength > KeyVersionTree.WORD_BYTES && random.nextBoolean() ? Math.min(21, k.length) : 0;
        Arrays.fill(k, 0, shared, (byte) 0x41);
        for (int i = shared; i < k.length; i++) {
            k[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return k;
    }
}
