package io.weaseldb.http;

/** Receives a request body as it is decoded, one slice at a time; the slice is only valid during the call. */
@FunctionalInterface
public interface BodySink {
    BodySink DISCARD = (buf, off, len) -> { };

    void accept(byte[] buf, int off, int len);
}
