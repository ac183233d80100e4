package io.weaseldb.http;

/**
 * Incremental request-body decoder for the framing the head declared: none, Content-Length, or chunked
 * (RFC 9112 §7.1: sizes in hex without sign or whitespace, extensions as token[=token|quoted-string],
 * CRLF only, trailers parsed and discarded within the header limit).
 *
 * <p>Contract: {@link #reset(RequestHead)} after a head completes; then {@link #decode} with whatever bytes
 * are available. It hands decoded body slices to the sink and returns how many input bytes it consumed;
 * it stops exactly at the end of the body, so bytes after it (a pipelined request) are left unconsumed.
 * Decoded size over {@link HttpLimits#maxBodyBytes()} → 413 as soon as it is crossed. Allocates nothing.
 */
public final class BodyDecoder {
    private final HttpLimits limits;

    public BodyDecoder(HttpLimits limits) {
        this.limits = limits;
    }

    public void reset(RequestHead head) {
        throw new UnsupportedOperationException("TODO");
    }

    /** True when the whole body (and, if chunked, the trailer section) has been consumed. */
    public boolean isDone() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Decoded body bytes delivered so far. */
    public long bodyBytes() {
        throw new UnsupportedOperationException("TODO");
    }

    public int decode(byte[] buf, int from, int to, BodySink sink) throws HttpException {
        throw new UnsupportedOperationException("TODO");
    }
}
