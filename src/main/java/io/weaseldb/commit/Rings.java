package io.weaseldb.commit;

import java.lang.reflect.Array;

/**
 * Rings addressed by positions that only grow: position {@code p} lives in slot {@code p & (length - 1)} of an array
 * whose length is a power of two. The conflict history and the request-id queue keep their rings this way.
 */
final class Rings {
    private Rings() { }

    /**
     * A ring of {@code length} slots (a power of two, at least the live span) holding the live positions
     * {@code [from, to)} of {@code ring}, each in its slot for the new length. Works for any array type.
     */
    @SuppressWarnings("unchecked")
    static <A> A regrown(A ring, long from, long to, int length) {
        int oldLength = Array.getLength(ring);
        A grown = (A) Array.newInstance(ring.getClass().getComponentType(), length);
        long p = from;
        while (p < to) { // in runs that wrap in neither array
            int source = (int) (p & (oldLength - 1));
            int target = (int) (p & (length - 1));
            int n = (int) Math.min(to - p, Math.min(oldLength - source, length - target));
            System.arraycopy(ring, source, grown, target, n);
            p += n;
        }
        return grown;
    }

    /** {@link #regrown} at twice the length. */
    static <A> A doubled(A ring, long from, long to) {
        return regrown(ring, from, to, Array.getLength(ring) * 2);
    }
}
