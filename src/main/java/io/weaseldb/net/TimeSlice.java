package io.weaseldb.net;

import java.util.concurrent.TimeUnit;

/**
 * Cooperative time slicing for one connection thread. Virtual threads are not time-sliced, so a thread that never
 * has to wait (a fast subscriber replay, a large body arriving at loopback speed, a client pipelining without end)
 * yields at its yield points once its slice since it last waited is used up.
 *
 * <p>The slice adapts: a yield through the poller costs a round trip (≈ 0.15 ms here when nothing else runs: the
 * poller and the carrier both have to be woken), which at every 64 KiB replay batch took a lone subscriber from 174
 * to 128 MB/s. So after a yield during which no other thread ran the slice doubles, up to {@link #MAX_NANOS}, and
 * after one during which others ran it falls back to {@link #MIN_NANOS}, what a busy thread may then delay each of
 * them by per turn. A thread woken while a long slice runs does not wait for its end: once the poller has woken
 * threads that have not run yet, the slice ends after {@link #MIN_NANOS} (see {@link #due}). Single-threaded: only
 * the connection's own thread uses it.
 */
final class TimeSlice {
    static final long MIN_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
    static final long MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(8);

    private long sliceNanos = MIN_NANOS;
    private long since;

    TimeSlice(long nowNanos) {
        since = nowNanos;
    }

    /** The thread resumed from a wait: a new slice starts. */
    void resumed(long nowNanos) {
        since = nowNanos;
    }

    /**
     * True once the thread should yield: it has run its slice since it last waited or yielded, or others are known
     * to wait for the carrier ({@code othersWaiting}) and it has run at least {@link #MIN_NANOS}. A long slice, grown
     * while nobody else ran, must not hold up a thread that has just been woken.
     */
    boolean due(long nowNanos, boolean othersWaiting) {
        long ran = nowNanos - since;
        return ran >= sliceNanos || (othersWaiting && ran >= MIN_NANOS);
    }

    /** The thread yielded and runs again; {@code othersRan}: some other connection thread ran meanwhile. */
    void yielded(long nowNanos, boolean othersRan) {
        sliceNanos = othersRan ? MIN_NANOS : Math.min(MAX_NANOS, sliceNanos * 2);
        since = nowNanos;
    }

    long sliceNanos() {
        return sliceNanos;
    }
}
