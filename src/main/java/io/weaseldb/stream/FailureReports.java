package io.weaseldb.stream;

/**
 * Decides which failures of a task retried on a timer are worth a log line: the first of a run of failures,
 * then at most one per interval while the run goes on. Single-threaded (the retrying thread owns it).
 */
final class FailureReports {
    private final long intervalNanos;
    private long inARow;
    private long nextReport;

    FailureReports(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /**
     * Counts one failure at {@code now}; returns how many failures in a row there have been if this one should be
     * reported, else 0.
     */
    long failed(long now) {
        inARow++;
        if (inARow > 1 && now - nextReport < 0) return 0;
        nextReport = now + intervalNanos;
        return inARow;
    }

    /** Ends a run of failures; returns its length (0 when the last attempt did not fail either). */
    long succeeded() {
        long n = inARow;
        inARow = 0;
        return n;
    }
}
