package io.weaseldb.storage;

/**
 * One committed transaction as the log stores it.
 *
 * @param version         its version (gap-free: each record's is the previous + 1)
 * @param requestId       the request id it committed under
 * @param timestampMillis wall-clock time it was sequenced (for request-id retention by hours)
 * @param payload         the operations, encoded by the commit package (opaque here)
 */
public record LogRecord(long version, String requestId, long timestampMillis, byte[] payload) { }
