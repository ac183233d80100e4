package io.weaseldb.net;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reports failing {@code accept()} calls (typically EMFILE: out of file descriptors) to stderr at most once per
 * interval: the first failure at once, then, while failures go on, one line per interval with how many were
 * not printed. The accept loop retries every 10 ms, so printing each one would write 100 lines a second for as
 * long as the condition lasts. Lock-free, as there may be several accept threads: the one that moves the next
 * print time forward prints; the others count.
 */
final class AcceptFailureLog {
    private static final long NEVER_PRINTED = Long.MIN_VALUE;

    private final long intervalNanos;
    private final PrintStream out;
    /** Earliest time of the next print, or NEVER_PRINTED before the first. */
    private final AtomicLong nextPrint = new AtomicLong(NEVER_PRINTED);
    private final AtomicLong suppressed = new AtomicLong();

    AcceptFailureLog(long intervalNanos) {
        this(intervalNanos, System.err);
    }

    AcceptFailureLog(long intervalNanos, PrintStream out) {
        this.intervalNanos = intervalNanos;
        this.out = out;
    }

    /** Records one failure, printing it if the interval since the last print has passed. */
    void report(Exception e) {
        report(e, System.nanoTime());
    }

    void report(Exception e, long now) {
        long next = nextPrint.get();
        if ((next != NEVER_PRINTED && now - next < 0) || !nextPrint.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        long n = suppressed.getAndSet(0);
        out.println("weaseldb: accept failed: " + e.getMessage() + (n == 0 ? "" : " (and " + n + " more since the last report)"));
    }
}
