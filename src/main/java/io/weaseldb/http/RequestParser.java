package io.weaseldb.http;

/**
 * Incremental RFC 9112 request-head parser: a byte-level state machine fed whatever bytes have arrived.
 *
 * <p>Contract (the connection relies on it):
 * <ul>
 *   <li>{@link #reset()} before each request. Then call {@link #parseHead(byte[], int, int)} with the same
 *       {@code buf} and {@code start} and a growing {@code end} as bytes arrive; bytes already fed must stay
 *       where they were. The parser resumes where it stopped (it never rescans).</li>
 *   <li>Returns the index one past the blank line that ends the head when complete (the body or the next
 *       pipelined request starts there), or -1 when it needs more bytes.</li>
 *   <li>On any violation throws {@link HttpException} with the status API.md lists; the caller answers and
 *       closes. After a throw the parser is unusable until reset.</li>
 *   <li>Limits from {@link HttpLimits}: request line → 414, field section → 431 (also checked while incomplete,
 *       so a client cannot make the server buffer more than the limits), Content-Length over the body limit → 413.</li>
 *   <li>Allocates nothing per request.</li>
 * </ul>
 */
public final class RequestParser {
    private final HttpLimits limits;
    private final RequestHead head;

    public RequestParser(HttpLimits limits) {
        this.limits = limits;
        this.head = new RequestHead(limits.maxHeaderCount());
    }

    public HttpLimits limits() { return limits; }

    /** The view filled by the last complete {@link #parseHead}. */
    public RequestHead head() { return head; }

    public void reset() {
        head.clear();
        throw new UnsupportedOperationException("TODO");
    }

    /** True once at least one byte of a request line (not a leading empty line) has been seen. */
    public boolean started() {
        throw new UnsupportedOperationException("TODO");
    }

    public int parseHead(byte[] buf, int start, int end) throws HttpException {
        throw new UnsupportedOperationException("TODO");
    }
}
