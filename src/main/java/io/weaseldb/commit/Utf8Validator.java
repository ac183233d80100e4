package io.weaseldb.commit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 (RFC 3629) check of a byte stream fed in slices, so a sequence may straddle two slices.
 * Refuses what a lenient decoder would quietly turn into some other text: overlong forms ({@code C0 AF}
 * for "/"), encoded surrogates ({@code ED A0 80}), code points above U+10FFFF, stray continuation bytes
 * and a sequence cut off at the end. Two different byte strings must never become one request id.
 *
 * <p>The table is RFC 3629 §4's: after a lead byte, the range its first continuation byte may take
 * ({@code E0}: A0..BF, {@code ED}: 80..9F, {@code F0}: 90..BF, {@code F4}: 80..8F, else 80..BF).
 */
final class Utf8Validator {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    private int pending;      // continuation bytes still expected
    private int low = 0x80;   // allowed range of the next continuation byte
    private int high = 0xBF;
    private long position;    // stream offset of the next byte
    private long sequenceStart;

    /**
     * Checks {@code buf[off, off + len)}: returns -1, or the index in the slice of the first byte that makes
     * the stream invalid ({@link #errorOffset} then says where the bad character starts).
     */
    int feed(byte[] buf, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (pending == 0) {
                // JSON is almost all ASCII: skip it eight bytes at a time.
                while (i + 8 <= end && ((long) LONGS.get(buf, i) & HIGH_BITS) == 0) {
                    i += 8;
                }
                if (i == end) {
                    break;
                }
            }
            int b = buf[i] & 0xFF;
            if (pending > 0) {
                if (b < low || b > high) {
                    position += i - off;
                    return i - off;
                }
                pending--;
                low = 0x80;
                high = 0xBF;
            } else if (b >= 0x80) {
                sequenceStart = position + (i - off);
                if (!lead(b)) {
                    position += i - off;
                    return i - off;
                }
            }
            i++;
        }
        position += len;
        return -1;
    }

    /** True when the stream ended between characters. */
    boolean complete() {
        return pending == 0;
    }

    /** Stream offset of the character found invalid (or cut off by the end of the stream). */
    long errorOffset() {
        return sequenceStart;
    }

    private boolean lead(int b) {
        if (b >= 0xC2 && b <= 0xDF) {
            pending = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            pending = 2;
            if (b == 0xE0) low = 0xA0;        // below: overlong
            else if (b == 0xED) high = 0x9F;  // above: a surrogate
        } else if (b >= 0xF0 && b <= 0xF4) {
            pending = 3;
            if (b == 0xF0) low = 0x90;        // below: overlong
            else if (b == 0xF4) high = 0x8F;  // above: past U+10FFFF
        } else {
            return false;                     // continuation byte without a lead, C0/C1 (overlong), F5..FF
        }
        return true;
    }
}
