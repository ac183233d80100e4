package io.weaseldb.stream;

/**
 * What the feed needs from the connection that carries a subscription. The api package implements it over an
 * HTTP exchange; the feed itself knows nothing about HTTP.
 */
public interface StreamControl {
    /** True once the server is draining: the stream should flush what it has and end. */
    boolean draining();

    /** Closes the connection from any thread, so that a write blocked on a full socket fails at once. */
    void abort();

    /** True when the client is known to have gone (checked without blocking). */
    default boolean clientGone() {
        return false;
    }
}
