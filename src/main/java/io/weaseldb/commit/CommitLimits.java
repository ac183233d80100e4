package io.weaseldb.commit;

/**
 * Size rules every commit request must satisfy, whatever its wire format ({@code [commit]} config).
 *
 * @param maxKeyBytes        largest decoded key; range bounds may be one byte longer so that
 *                           {@code [k, k\x00)} can name a single maximum-size key
 * @param maxValueBytes      largest decoded value
 * @param minRequestIdLength shortest accepted client request id, in characters (Unicode code points)
 */
public record CommitLimits(int maxKeyBytes, int maxValueBytes, int minRequestIdLength) {
    /**
     * Longest accepted request id, in UTF-8 bytes: ids are kept in memory and in every log record, and a status
     * query carries one percent-encoded (up to 3 bytes each) in its request line, which this keeps within the
     * default {@code max_request_line_bytes} (8 KiB), so every id a commit may use can also be asked about.
     */
    public static final int MAX_REQUEST_ID_BYTES = 1024;

    public static final CommitLimits DEFAULTS = new CommitLimits(10_000, 100_000, 20);

    public CommitLimits {
        if (maxKeyBytes < 1 || maxKeyBytes == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxKeyBytes must be in [1, " + (Integer.MAX_VALUE - 1) + "]: " + maxKeyBytes);
        }
        if (maxValueBytes < 0) {
            throw new IllegalArgumentException("maxValueBytes must be >= 0: " + maxValueBytes);
        }
        if (minRequestIdLength < 1 || minRequestIdLength > MAX_REQUEST_ID_BYTES) {
            throw new IllegalArgumentException("minRequestIdLength must be in [1, " + MAX_REQUEST_ID_BYTES + "]: " + minRequestIdLength);
        }
    }

    /** Largest decoded {@code begin}/{@code end} of a range. */
    public int maxRangeBoundBytes() {
        return maxKeyBytes + 1;
    }
}
