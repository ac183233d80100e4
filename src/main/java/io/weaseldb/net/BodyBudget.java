package io.weaseldb.net;

import io.weaseldb.http.HttpException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Memory for request bodies that handlers read and hold ({@code http.max_inflight_body_bytes}, by default an
 * eighth of the heap: a parsed commit holds about twice its body until answered). A request reserves its
 * declared length before its body is read and returns it once answered; one that does not fit waits, up to
 * its deadline, then is refused with 503. Without it, 1500 clients posting 900 KB commits at once ran a 1 GiB
 * heap out of memory. Counted in KiB; fair, so that a large body is not starved by a stream of small ones.
 */
final class BodyBudget {
    private final int totalKiB;
    private final Semaphore kib;

    /** @param bytes the budget, or 0 for an eighth of the heap */
    BodyBudget(long bytes) {
        long b = bytes > 0 ? bytes : Runtime.getRuntime().maxMemory() / 8;
        this.totalKiB = (int) Math.min(Integer.MAX_VALUE, Math.max(1, b / 1024));
        this.kib = new Semaphore(totalKiB, true);
    }

    /**
     * Reserves room for a body of {@code declaredBytes} (a larger one than the whole budget takes all of it),
     * waiting until {@code deadlineNanos} at most.
     *
     * @return the KiB reserved, to {@link #release} once the request is answered
     * @throws HttpException 503 {@code overloaded} when the deadline passes first
     */
    int reserve(long declaredBytes, long deadlineNanos) throws HttpException {
        int n = (int) Math.min(totalKiB, (declaredBytes + 1023) / 1024);
        if (n <= 0) return 0;
        boolean acquired;
        try {
            // Timed even when free, so that the fair order holds: no barging past a large body that waits.
            acquired = kib.tryAcquire(n, Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) throw new HttpException(503, "overloaded", "too many large request bodies in flight; retry later");
        return n;
    }

    /** A budgeted body may lag its pace this long (a client that sends the head, then prepares the body). */
    private static final long PACE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * When a body holding {@code reservedKiB} (granted at {@code reservedAt}) has fallen behind, having received
     * {@code received} bytes: after a grace period, the bytes must keep pace with the whole reservation arriving
     * within the request timeout. The budget is reserved by declared length, so without this, 70 clients
     * declaring 1 MB and sending 1 KB/s held a 64 MiB budget until their 408s and every other commit waited
     * (4.8 s per commit); now holding budget costs the holder upload bandwidth (budget / request timeout).
     * Enforced only while the budget is {@link #contended}: a slow body that keeps nobody waiting has until its
     * request deadline, as API.md promises. {@link Long#MAX_VALUE} for a body that holds none.
     */
    static long paceDeadline(int reservedKiB, long reservedAt, long received, long requestTimeoutNanos) {
        if (reservedKiB == 0) return Long.MAX_VALUE;
        double share = (double) (received + 1) / (reservedKiB * 1024.0);
        return reservedAt + PACE_GRACE_NANOS + (long) (share * requestTimeoutNanos);
    }

    /** True while some request waits for budget: only then does a body behind its pace take anything from anyone. */
    boolean contended() {
        return kib.hasQueuedThreads();
    }

    void release(int reservedKiB) {
        if (reservedKiB > 0) kib.release(reservedKiB);
    }

    /** The whole budget, in bytes. */
    long totalBytes() {
        return (long) totalKiB << 10;
    }

    int availableKiB() {
        return kib.availablePermits();
    }
}
