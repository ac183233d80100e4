package io.weaseldb.commit;

/**
 * Streaming parser for one commit request body in one wire format. The handler calls {@link #feed} with each
 * body slice as it arrives (the slice is only valid during the call), then {@link #finish} once.
 * A parser detects errors as early as it can; after the first one it ignores further input cheaply and
 * {@link #finish} reports that error. One instance per request, used by one thread at a time.
 *
 * <p>New formats are added by registering a factory with {@link CommitRequestParsers#register}.
 */
public interface CommitRequestParser extends AutoCloseable {
    void feed(byte[] buf, int off, int len);

    /** Ends the body and returns the validated request; also releases the parser's resources. */
    CommitRequest finish() throws CommitRequestException;

    /** Releases resources when the body is abandoned before {@link #finish} (e.g. 413, client gone). Idempotent. */
    @Override
    default void close() { }
}
